#pragma once

// SeriesKey names a metric series; SeriesRegistry interns keys to dense SeriesId values.
//
// A key is {component_type, component_id, metric_name, labels}, e.g. an agent's latency:
// {"agent", "planner-1", "latency_ms", {{"region", "eu"}}}. Its text form is
//     [component_type/]component_id/]metric_name[{key=value,...}]
// e.g. "agent/planner-1/latency_ms{region=eu}", or just "latency_ms"; parse() and to_string()
// are inverse for fields free of the characters / { } , =.
//
// Registry complexity: intern and find are O(length of the key) expected; key(id) is O(1).
// Thread-safety: not synchronized; const members may be called concurrently.

#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"

#include <algorithm>
#include <compare>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// Label pairs of a series, kept sorted by name (names unique).
using Labels = std::vector<std::pair<std::string, std::string>>;

/// The identity of a metric series.
struct SeriesKey {
    std::string component_type;
    std::string component_id;
    std::string metric_name;
    Labels labels;

    SeriesKey() = default;
    /// Builds a key; labels are sorted by name. Throws invalid_argument on an empty metric name
    /// or a repeated label name.
    explicit SeriesKey(std::string metric, std::string type = {}, std::string id = {},
                       Labels label_pairs = {})
        : component_type(std::move(type)), component_id(std::move(id)),
          metric_name(std::move(metric)), labels(std::move(label_pairs)) {
        normalize();
    }

    /// The canonical text form (see the file comment).
    std::string to_string() const {
        std::string out;
        if (!component_type.empty()) out += component_type + "/";
        if (!component_type.empty() || !component_id.empty()) out += component_id + "/";
        out += metric_name;
        if (!labels.empty()) {
            out += '{';
            for (std::size_t i = 0; i < labels.size(); ++i) {
                if (i > 0) out += ',';
                out += labels[i].first + "=" + labels[i].second;
            }
            out += '}';
        }
        return out;
    }

    /// Parses the text form. Throws invalid_argument on a malformed name.
    static SeriesKey parse(std::string_view text) {
        auto fail = [&](const char* why) -> SeriesKey {
            throw invalid_argument("SeriesKey::parse: '" + std::string(text) + "': " + why);
        };
        std::string_view path = text;
        Labels label_pairs;
        if (const auto brace = text.find('{'); brace != std::string_view::npos) {
            if (text.back() != '}') return fail("labels must end with '}'");
            path = text.substr(0, brace);
            std::string_view body = text.substr(brace + 1, text.size() - brace - 2);
            while (!body.empty()) {
                const auto comma = body.find(',');
                const std::string_view item = body.substr(0, comma);
                const auto eq = item.find('=');
                if (eq == std::string_view::npos || eq == 0)
                    return fail("a label needs name=value");
                label_pairs.emplace_back(std::string(item.substr(0, eq)),
                                         std::string(item.substr(eq + 1)));
                if (comma == std::string_view::npos) break;
                body.remove_prefix(comma + 1);
                if (body.empty()) return fail("trailing ',' in labels");
            }
        }
        std::vector<std::string_view> parts;
        for (std::size_t start = 0;;) {
            const auto slash = path.find('/', start);
            parts.push_back(path.substr(start, slash - start));
            if (slash == std::string_view::npos) break;
            start = slash + 1;
        }
        if (parts.size() > 3) return fail("at most type/id/metric");
        if (parts.back().empty()) return fail("empty metric name");
        SeriesKey key;
        key.metric_name = std::string(parts.back());
        if (parts.size() >= 2) key.component_id = std::string(parts[parts.size() - 2]);
        if (parts.size() == 3) key.component_type = std::string(parts[0]);
        key.labels = std::move(label_pairs);
        key.normalize();
        return key;
    }

    /// The value of a label, if present.
    std::optional<std::string_view> label(std::string_view name) const {
        const auto it =
            std::lower_bound(labels.begin(), labels.end(), name,
                             [](const auto& p, std::string_view n) { return p.first < n; });
        if (it == labels.end() || it->first != name) return std::nullopt;
        return std::string_view(it->second);
    }

    friend bool operator==(const SeriesKey&, const SeriesKey&) = default;
    friend auto operator<=>(const SeriesKey&, const SeriesKey&) = default;

private:
    void normalize() {
        if (metric_name.empty()) throw invalid_argument("SeriesKey: metric_name is empty");
        std::sort(labels.begin(), labels.end());
        const auto dup =
            std::adjacent_find(labels.begin(), labels.end(),
                               [](const auto& a, const auto& b) { return a.first == b.first; });
        if (dup != labels.end())
            throw invalid_argument("SeriesKey: label '" + dup->first + "' given twice");
    }
};

/// Interns SeriesKeys to dense SeriesIds (0, 1, 2, ... in order of first appearance).
class SeriesRegistry {
public:
    /// The id of `key`, registering it if new. Allocates only for a new key.
    SeriesId intern(const SeriesKey& key) { return intern_text(key.to_string(), &key); }

    /// The id of the series named by its text form (see SeriesKey::parse).
    /// Throws invalid_argument on a malformed name.
    SeriesId intern(std::string_view name) {
        if (const auto it = ids_.find(name); it != ids_.end()) return it->second;
        const SeriesKey key = SeriesKey::parse(name);
        return intern_text(key.to_string(), &key);
    }

    /// The id of a registered key, or nullopt.
    std::optional<SeriesId> find(std::string_view name) const {
        if (const auto it = ids_.find(name); it != ids_.end()) return it->second;
        return std::nullopt;
    }
    std::optional<SeriesId> find(const SeriesKey& key) const { return find(key.to_string()); }

    /// The key of a registered id. Precondition: id < size().
    const SeriesKey& key(SeriesId id) const {
        AUGUR_ASSERT(id.index() < keys_.size(), "SeriesRegistry::key: unknown SeriesId");
        return keys_[id.index()];
    }
    /// The canonical name of a registered id. Precondition: id < size().
    const std::string& name(SeriesId id) const {
        AUGUR_ASSERT(id.index() < names_.size(), "SeriesRegistry::name: unknown SeriesId");
        return names_[id.index()];
    }

    std::size_t size() const noexcept { return keys_.size(); }
    bool empty() const noexcept { return keys_.empty(); }

private:
    struct TextHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    SeriesId intern_text(std::string canonical, const SeriesKey* key) {
        if (const auto it = ids_.find(std::string_view(canonical)); it != ids_.end())
            return it->second;
        if (keys_.size() >= std::numeric_limits<std::uint32_t>::max())
            throw invalid_argument("SeriesRegistry: too many series");
        const SeriesId id{static_cast<std::uint32_t>(keys_.size())};
        keys_.push_back(*key);
        names_.push_back(canonical);
        ids_.emplace(std::move(canonical), id);
        return id;
    }

    std::unordered_map<std::string, SeriesId, TextHash, std::equal_to<>> ids_;
    std::vector<SeriesKey> keys_;
    std::vector<std::string> names_;
};

} // namespace v0
} // namespace augur
