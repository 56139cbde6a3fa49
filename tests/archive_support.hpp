#pragma once

// Round-trip and corruption checks for anything saved through augur/core/archive.hpp.

#include <augur/core/archive.hpp>
#include <augur/core/error.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <functional>
#include <sstream>
#include <string>

namespace augur_test {

/// The bytes `model.save(out)` writes.
template <class Model>
std::string saved_bytes(const Model& model) {
    return augur::save_to_bytes(model);
}

/// Loads `bytes` through Model::load.
template <class Model>
Model load_bytes(const std::string& bytes) {
    return augur::load_from_bytes<Model>(bytes);
}

/// Counts of what the corruption sweep saw.
struct CorruptionCounts {
    std::size_t rejected = 0; // data_error
    std::size_t equal = 0;    // loaded and equal to the original (a flip the format ignores)
};

/// Flips every byte of `bytes` (xor 0xFF, then xor 0x01) and truncates at every prefix; each
/// variant must throw augur::data_error or load into a model `same` says equals the
/// original. Anything else (another exception, a crash under the sanitizers, a different
/// model) fails the test. Returns the counts; every truncation must be rejected.
template <class Model>
CorruptionCounts check_corruption(const std::string& bytes,
                                  const std::function<bool(const Model&)>& same) {
    CorruptionCounts counts;
    auto attempt = [&](const std::string& variant, const char* what, std::size_t at) {
        try {
            const Model loaded = load_bytes<Model>(variant);
            INFO(what << " at byte " << at << " loaded");
            REQUIRE(same(loaded));
            ++counts.equal;
        } catch (const augur::data_error&) {
            ++counts.rejected;
        }
    };
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (const unsigned mask : {0xFFU, 0x01U}) {
            std::string variant = bytes;
            variant[i] = static_cast<char>(static_cast<unsigned>(variant[i]) ^ mask);
            attempt(variant, "flip", i);
        }
    }
    const std::size_t flipped_equal = counts.equal;
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        try {
            (void)load_bytes<Model>(bytes.substr(0, n));
            FAIL("a prefix of " << n << " of " << bytes.size() << " bytes loaded");
        } catch (const augur::data_error&) {
            ++counts.rejected;
        }
    }
    REQUIRE(counts.equal == flipped_equal);
    return counts;
}

} // namespace augur_test
