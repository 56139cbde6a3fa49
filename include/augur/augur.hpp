#pragma once

// Umbrella header: every public augur component.

#include "augur/version.hpp"

#include "augur/core/error.hpp"
#include "augur/core/input_policy.hpp"
#include "augur/core/random.hpp"
#include "augur/core/sample.hpp"
#include "augur/core/series.hpp"
#include "augur/core/stats.hpp"
#include "augur/core/stream.hpp"
