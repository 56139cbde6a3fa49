#pragma once

// Inlining attributes for the routing hot paths: the common case of a draw or an update is
// forced inline, its rare or throwing part is kept out of line.

#if defined(__GNUC__) || defined(__clang__)
#define AUGUR_ROUTING_NOINLINE __attribute__((noinline))
#define AUGUR_ROUTING_INLINE inline __attribute__((always_inline))
#else
#define AUGUR_ROUTING_NOINLINE
#define AUGUR_ROUTING_INLINE inline
#endif
