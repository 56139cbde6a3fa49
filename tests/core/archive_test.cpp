#include <augur/core/archive.hpp>
#include <augur/core/error.hpp>

#include "archive_support.hpp"

#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

enum class Colour : std::uint8_t { red, green };

struct Inner {
    std::string name;
    std::vector<double> values;
    template <class Archive>
    void archive(Archive& ar) {
        ar(name, values);
    }
    bool operator==(const Inner&) const = default;
};

// A small model with every kind of field the archive takes.
struct Model {
    std::int64_t count = 0;
    double weight = 0.0;
    bool flag = false;
    Colour colour = Colour::red;
    std::array<std::uint16_t, 3> bins{};
    std::vector<Inner> inners;
    std::optional<double> maybe;
    std::pair<int, double> pair{};
    std::chrono::nanoseconds gap{};
    Eigen::MatrixXd matrix;
    Eigen::Vector3d fixed = Eigen::Vector3d::Zero();

    void save(std::ostream& out) const {
        augur::write_archive(out, "test.Model", 2, [&](augur::ArchiveWriter& w) {
            w(count, weight, flag, colour, bins, inners, maybe, pair, gap, matrix, fixed);
        });
    }
    static Model load(std::istream& in) {
        return augur::read_archive(in, "test.Model", 2, [](augur::ArchiveReader& r) {
            Model m;
            r(m.count, m.weight, m.flag, m.colour, m.bins, m.inners, m.maybe, m.pair, m.gap,
              m.matrix, m.fixed);
            return m;
        });
    }
    bool operator==(const Model& o) const {
        return count == o.count && weight == o.weight && flag == o.flag && colour == o.colour &&
               bins == o.bins && inners == o.inners && maybe == o.maybe && pair == o.pair &&
               gap == o.gap && matrix == o.matrix && fixed == o.fixed;
    }
};

Model example() {
    Model m;
    m.count = -42;
    m.weight = std::numeric_limits<double>::denorm_min();
    m.flag = true;
    m.colour = Colour::green;
    m.bins = {1, 65535, 7};
    m.inners = {{"a", {1.5, -2.25}}, {"", {}}, {"latency p99", {std::nan("")}}};
    m.maybe = 3.25;
    m.pair = {-7, 0.1};
    m.gap = std::chrono::nanoseconds(123456789);
    m.matrix.resize(3, 2);
    m.matrix << 1, -2, 3.5, 1e300, -0.0, 6;
    m.fixed << 1, 2, 3;
    return m;
}

// Rewrites the payload of an archive (with a recomputed checksum): forged but well-formed.
std::string with_payload(const std::string& bytes, const std::string& payload) {
    // magic(8) format(4) type length(4) type version(4) size(8)
    const std::size_t type_length = static_cast<unsigned char>(bytes[12]);
    const std::size_t head_end = 8 + 4 + 4 + type_length + 4 + 8;
    std::string head = bytes.substr(8, head_end - 8);
    for (int i = 0; i < 8; ++i)
        head[head.size() - 8 + static_cast<std::size_t>(i)] =
            static_cast<char>((payload.size() >> (8 * i)) & 0xFF);
    std::string out = bytes.substr(0, 8) + head + payload;
    const std::uint32_t crc = augur::detail::archive::crc32(head, payload);
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
    return out;
}

std::string payload_of(const std::string& bytes) {
    const std::size_t type_length = static_cast<unsigned char>(bytes[12]);
    const std::size_t head_end = 8 + 4 + 4 + type_length + 4 + 8;
    return bytes.substr(head_end, bytes.size() - head_end - 4);
}

std::string load_error(const std::string& bytes) {
    try {
        (void)augur_test::load_bytes<Model>(bytes);
    } catch (const augur::data_error& e) {
        return e.what();
    }
    return "loaded";
}

} // namespace

TEST_CASE("archive: every supported field type round-trips exactly", "[core][archive]") {
    const Model m = example();
    const std::string bytes = augur_test::saved_bytes(m);
    REQUIRE(bytes.substr(0, 8) == "augurARC");
    const Model back = augur_test::load_bytes<Model>(bytes);
    // NaN inside a vector: compare bit patterns through a second save.
    REQUIRE(augur_test::saved_bytes(back) == bytes);
    REQUIRE(back.count == m.count);
    REQUIRE(back.weight == m.weight);
    REQUIRE(back.matrix == m.matrix);
    REQUIRE(back.inners[0] == m.inners[0]);
    REQUIRE(std::isnan(back.inners[2].values[0]));
}

TEST_CASE("archive: the header names the type and version", "[core][archive]") {
    std::istringstream in(augur_test::saved_bytes(example()), std::ios::binary);
    const augur::ArchiveHeader h = augur::read_archive_header(in);
    REQUIRE(h.format == augur::archive_format_version);
    REQUIRE(h.type == "test.Model");
    REQUIRE(h.version == 2);
    REQUIRE(in.tellg() == 0); // rewound
}

TEST_CASE("archive: every flipped byte and every truncation is rejected", "[core][archive]") {
    Model m = example();
    m.inners.resize(1);
    m.matrix.resize(1, 1);
    const auto counts = augur_test::check_corruption<Model>(
        augur_test::saved_bytes(m), [&](const Model& loaded) { return loaded == m; });
    const std::size_t size = augur_test::saved_bytes(m).size();
    REQUIRE(counts.rejected == 3 * size); // CRC-32 catches every single-byte error
}

TEST_CASE("archive: messages say what is wrong", "[core][archive]") {
    const std::string bytes = augur_test::saved_bytes(example());
    CHECK_THAT(load_error(""), Catch::Contains("empty input"));
    CHECK_THAT(load_error("not an archive at all"), Catch::Contains("wrong magic"));
    CHECK_THAT(load_error(bytes.substr(0, bytes.size() - 10)), Catch::Contains("truncated"));
    std::string flipped = bytes;
    flipped[40] = static_cast<char>(flipped[40] ^ 0x10);
    CHECK_THAT(load_error(flipped), Catch::Contains("checksum mismatch"));

    std::ostringstream other(std::ios::binary);
    augur::write_archive(other, "test.Other", 1, [](augur::ArchiveWriter& w) { w(1.0); });
    CHECK_THAT(load_error(other.str()),
               Catch::Contains("holds a 'test.Other', not a 'test.Model'"));

    std::ostringstream newer(std::ios::binary);
    augur::write_archive(newer, "test.Model", 3, [](augur::ArchiveWriter& w) { w(1.0); });
    CHECK_THAT(load_error(newer.str()), Catch::Contains("unsupported format version 3"));
    CHECK_THAT(load_error(newer.str()), Catch::StartsWith("test.Model::load: "));
}

TEST_CASE("archive: forged payloads with a valid checksum are rejected, never trusted",
          "[core][archive]") {
    const std::string bytes = augur_test::saved_bytes(example());
    const std::string payload = payload_of(bytes);
    REQUIRE(augur_test::saved_bytes(augur_test::load_bytes<Model>(with_payload(bytes, payload))) ==
            bytes);

    SECTION("trailing bytes") {
        CHECK_THAT(load_error(with_payload(bytes, payload + "x")),
                   Catch::Contains("1 unread bytes"));
    }
    SECTION("the payload ends early") {
        CHECK_THAT(load_error(with_payload(bytes, payload.substr(0, 5))),
                   Catch::Contains("ends before its fields do"));
        CHECK_THAT(load_error(with_payload(bytes, payload.substr(0, payload.size() - 3))),
                   Catch::Contains("larger than the data left"));
    }
    SECTION("a flag that is neither 0 nor 1") {
        std::string p = payload;
        p[1 + 8 + 8] = 2; // endianness byte, count, weight, then the flag
        CHECK_THAT(load_error(with_payload(bytes, p)), Catch::Contains("not 0 or 1"));
    }
    SECTION("a vector length longer than the data") {
        std::string p = payload;
        // endianness(1) count(8) weight(8) flag(1) colour(1) bins(6): the inners' length
        const std::size_t at = 1 + 8 + 8 + 1 + 1 + 6;
        for (std::size_t i = 0; i < 8; ++i)
            p[at + i] = static_cast<char>(0xFF);
        CHECK_THAT(load_error(with_payload(bytes, p)),
                   Catch::Contains("longer than the data left"));
    }
}

TEST_CASE("archive: construct turns a rejected saved configuration into a data_error",
          "[core][archive]") {
    struct Picky {
        explicit Picky(int v) {
            if (v < 0) augur::throw_invalid_config("Picky", "v", v, "must be >= 0");
        }
    };
    std::ostringstream out(std::ios::binary);
    augur::write_archive(out, "test.Picky", 1, [](augur::ArchiveWriter& w) { w(-1); });
    std::istringstream in(out.str(), std::ios::binary);
    try {
        augur::read_archive(in, "test.Picky", 1, [](augur::ArchiveReader& r) {
            return r.construct<Picky>(r.read<int>());
        });
        FAIL("loaded");
    } catch (const augur::data_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("saved configuration rejected"));
        CHECK_THAT(e.what(), Catch::Contains("must be >= 0"));
    }
}

TEST_CASE("archive: a failing stream on save throws augur::error", "[core][archive]") {
    std::ostringstream out;
    out.setstate(std::ios::badbit);
    REQUIRE_THROWS_AS(example().save(out), augur::error);
}
