#pragma once

// Little-endian binary reading and writing for the routing save/load formats: an 8-byte magic
// and a 32-bit version, then the fields. Reading checks the magic, the version and truncation
// and throws augur::data_error naming the reader; a failed write throws augur::error.
// Thread-safety: each reader/writer wraps one stream; not synchronized.

#include "augur/core/error.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>

namespace augur {
inline namespace v0 {
namespace detail::routing {

/// Writes little-endian fields; check() throws augur::error if the stream failed.
class RoutingWriter {
public:
    RoutingWriter(std::ostream& out, const char* what) : out_(out), what_(what) {}

    void header(std::string_view magic, std::uint32_t version) {
        AUGUR_ASSERT(magic.size() == 8, "RoutingWriter::header: magic must have 8 bytes");
        out_.write(magic.data(), 8);
        u32(version);
    }
    void u8(std::uint8_t v) { put(v, 1); }
    void u32(std::uint32_t v) { put(v, 4); }
    void u64(std::uint64_t v) { put(v, 8); }
    void f64(double v) { put(std::bit_cast<std::uint64_t>(v), 8); }
    void str(std::string_view s) {
        u64(s.size());
        out_.write(s.data(), static_cast<std::streamsize>(s.size()));
    }
    void check() const {
        if (!out_) throw error(std::string(what_) + ": writing to the stream failed");
    }

private:
    void put(std::uint64_t v, int bytes) {
        std::array<char, 8> buffer{};
        for (int i = 0; i < bytes; ++i)
            buffer[static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFFU);
        out_.write(buffer.data(), bytes);
    }

    std::ostream& out_;
    const char* what_;
};

/// Reads little-endian fields; truncated or malformed input throws data_error naming `what`.
class RoutingReader {
public:
    RoutingReader(std::istream& in, const char* what) : in_(in), what_(what) {}

    /// Checks the magic and returns the version; throws data_error if the magic differs or the
    /// version is not in [1, max_version].
    std::uint32_t header(std::string_view magic, std::uint32_t max_version) {
        AUGUR_ASSERT(magic.size() == 8, "RoutingReader::header: magic must have 8 bytes");
        std::array<char, 8> got{};
        read(got.data(), 8);
        if (std::string_view(got.data(), 8) != magic)
            fail("not a " + std::string(magic.substr(0, magic.find('\0'))) +
                 " stream (wrong magic)");
        const std::uint32_t version = u32();
        if (version == 0 || version > max_version)
            fail("unsupported format version " + std::to_string(version) + " (this build reads " +
                 "up to " + std::to_string(max_version) + ")");
        return version;
    }
    std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
    std::uint64_t u64() { return get(8); }
    double f64() { return std::bit_cast<double>(get(8)); }
    /// A finite double, else data_error naming `field`.
    double finite(const char* field) {
        const double v = f64();
        if (!std::isfinite(v)) fail(std::string(field) + " is not finite");
        return v;
    }
    /// A string of at most max_size bytes.
    std::string str(std::uint64_t max_size = 1U << 20) {
        const std::uint64_t size = u64();
        if (size > max_size) fail("string length " + std::to_string(size) + " is implausible");
        std::string s(static_cast<std::size_t>(size), '\0');
        if (size > 0) read(s.data(), static_cast<std::streamsize>(size));
        return s;
    }
    [[noreturn]] void fail(const std::string& message) const {
        throw data_error(std::string(what_) + ": " + message);
    }

private:
    void read(char* data, std::streamsize size) {
        in_.read(data, size);
        if (in_.gcount() != size) fail("truncated input");
    }
    std::uint64_t get(int bytes) {
        std::array<unsigned char, 8> buffer{};
        read(reinterpret_cast<char*>(buffer.data()), bytes);
        std::uint64_t v = 0;
        for (int i = 0; i < bytes; ++i)
            v |= static_cast<std::uint64_t>(buffer[static_cast<std::size_t>(i)]) << (8 * i);
        return v;
    }

    std::istream& in_;
    const char* what_;
};

} // namespace detail::routing
} // namespace v0
} // namespace augur
