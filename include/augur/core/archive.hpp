#pragma once

// The one saved-model format of augur: every model that learns (batch models, streaming
// detectors, posteriors, routers) saves and loads through it.
//
// Layout (all integers little-endian):
//   magic        8 bytes  "augurARC"
//   format       u32      archive_format_version (the envelope's own version)
//   type         u32 length + bytes: the saved type's tag, e.g. "augur.IsolationForest<axis>"
//   version      u32      the saved type's own format version (>= 1)
//   size         u64      payload bytes
//   payload      `size` bytes, written with cereal's portable binary archive (a 1-byte
//                endianness flag, then the fields)
//   checksum     u32      CRC-32 (Boost.CRC) of every byte from `format` to the end of payload
// Convention for a model type M: `void save(std::ostream&) const` and
// `static M load(std::istream&)`, both through write_archive / read_archive below.
// Loading never trusts the file: a wrong magic, type, version or checksum, a truncated
// stream, a length longer than the data left, trailing payload bytes, or fields the type
// rejects throw augur::data_error naming the type and what is wrong; memory allocated while
// loading is bounded by the payload's size. A failed write throws augur::error.
//
// What an archive can hold (ArchiveWriter / ArchiveReader dispatch): arithmetic types and
// enums, std::string, std::vector, std::array, std::pair, std::optional, std::chrono
// durations and time points, dense Eigen matrices, and any class with a member
//   template <class Archive> void archive(Archive& ar) { ar(field1, field2, ...); }
// (symmetric: the same member writes and reads), or with the asymmetric pair
//   void save_fields(ArchiveWriter&) const;  void load_fields(ArchiveReader&);
// Complexity: O(size of the state) to save or load.
// Thread-safety: a writer or reader wraps one stream and is not synchronized.
// @code
//   void save(std::ostream& out) const {
//       augur::write_archive(out, "augur.MyModel", 1, [&](augur::ArchiveWriter& w) { w(config_,
//       weights_); });
//   }
//   static MyModel load(std::istream& in) {
//       return augur::read_archive(in, "augur.MyModel", 1, [](augur::ArchiveReader& r) {
//           auto config = r.read<MyConfig>();
//           MyModel m = r.construct<MyModel>(config);
//           r(m.weights_);
//           return m;
//       });
//   }
// @endcode

#include "augur/core/error.hpp"

#include <Eigen/Core>
#include <boost/crc.hpp>
#include <cereal/archives/portable_binary.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// The version of the envelope itself (not of any type inside it).
inline constexpr std::uint32_t archive_format_version = 1;

/// What an archive's envelope says, as read by read_archive_header.
struct ArchiveHeader {
    std::uint32_t format = 0;
    std::string type;
    std::uint32_t version = 0;
    std::uint64_t payload_size = 0;
};

class ArchiveWriter;
class ArchiveReader;

namespace detail::archive {

inline constexpr std::string_view magic = "augurARC";
inline constexpr std::size_t max_type_length = 256;

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};
template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_duration : std::false_type {};
template <class R, class P>
struct is_duration<std::chrono::duration<R, P>> : std::true_type {};
template <class T>
struct is_time_point : std::false_type {};
template <class C, class D>
struct is_time_point<std::chrono::time_point<C, D>> : std::true_type {};

template <class T>
concept Scalar = std::is_arithmetic_v<T> && !std::same_as<T, bool>;

template <class T>
concept DenseEigen = std::is_base_of_v<Eigen::PlainObjectBase<T>, T>;

/// Fewest payload bytes one element of T occupies (bounds the lengths a reader accepts).
template <class T>
constexpr std::size_t min_bytes() {
    if constexpr (Scalar<T> || std::is_enum_v<T>)
        return sizeof(T);
    else
        return 1;
}

inline void put_le(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFU));
}

/// CRC-32 of `head` followed by `payload`.
inline std::uint32_t crc32(std::string_view head, std::string_view payload) {
    boost::crc_32_type crc;
    crc.process_bytes(head.data(), head.size());
    crc.process_bytes(payload.data(), payload.size());
    return crc.checksum();
}

} // namespace detail::archive

/// Writes the fields of one archive payload. See the file comment for the types it takes.
class ArchiveWriter {
public:
    explicit ArchiveWriter(std::ostream& out) : ar_(out) {}

    /// Writes each value in order.
    template <class... T>
    ArchiveWriter& operator()(const T&... values) {
        (write(values), ...);
        return *this;
    }

    template <class T>
    void write(const T& value) {
        namespace da = detail::archive;
        if constexpr (std::same_as<T, bool>) {
            ar_(static_cast<std::uint8_t>(value ? 1 : 0));
        } else if constexpr (da::Scalar<T>) {
            ar_(value);
        } else if constexpr (std::is_enum_v<T>) {
            ar_(static_cast<std::underlying_type_t<T>>(value));
        } else if constexpr (std::same_as<T, std::string>) {
            write_size(value.size());
            if (!value.empty()) ar_(cereal::binary_data(value.data(), value.size()));
        } else if constexpr (da::is_vector<T>::value) {
            write_size(value.size());
            write_elements(value.data(), value.size());
        } else if constexpr (da::is_std_array<T>::value) {
            write_elements(value.data(), value.size());
        } else if constexpr (da::is_pair<T>::value) {
            write(value.first);
            write(value.second);
        } else if constexpr (da::is_optional<T>::value) {
            write(value.has_value());
            if (value) write(*value);
        } else if constexpr (da::is_duration<T>::value) {
            write(static_cast<std::int64_t>(value.count()));
        } else if constexpr (da::is_time_point<T>::value) {
            write(value.time_since_epoch());
        } else if constexpr (da::DenseEigen<T>) {
            write(static_cast<std::uint64_t>(value.rows()));
            write(static_cast<std::uint64_t>(value.cols()));
            write_elements(value.data(), static_cast<std::size_t>(value.size()));
        } else if constexpr (requires(const T& v, ArchiveWriter& w) { v.save_fields(w); }) {
            value.save_fields(*this);
        } else if constexpr (requires(T & v, ArchiveWriter & w) { v.archive(w); }) {
            // The symmetric member only reads the fields when writing.
            const_cast<T&>(value).archive(*this);
        } else {
            static_assert(sizeof(T) == 0, "augur::ArchiveWriter: this type has no archive(ar) "
                                          "member nor save_fields/load_fields");
        }
    }

    /// A length prefix (u64).
    void write_size(std::size_t size) { ar_(static_cast<std::uint64_t>(size)); }

private:
    template <class E>
    void write_elements(const E* data, std::size_t count) {
        if constexpr (detail::archive::Scalar<E>) {
            if (count > 0) ar_(cereal::binary_data(data, count * sizeof(E)));
        } else {
            for (std::size_t i = 0; i < count; ++i)
                write(data[i]);
        }
    }

    cereal::PortableBinaryOutputArchive ar_;
};

/// Reads the fields of one archive payload, checking every length against the bytes left.
/// Errors throw data_error "<type>::load: <what>".
class ArchiveReader {
public:
    ArchiveReader(std::istringstream& payload, std::string type, std::uint32_t version)
        : in_(payload), type_(std::move(type)), version_(version), ar_(payload) {}

    /// The saved type's format version (for types that read older versions).
    std::uint32_t version() const noexcept { return version_; }
    const std::string& type() const noexcept { return type_; }

    /// Reads each value in order.
    template <class... T>
    ArchiveReader& operator()(T&... values) {
        (read_into(values), ...);
        return *this;
    }

    template <class T>
    T read() {
        T value{};
        read_into(value);
        return value;
    }

    template <class T>
    void read_into(T& value) {
        namespace da = detail::archive;
        if constexpr (std::same_as<T, bool>) {
            std::uint8_t b = 0;
            ar_(b);
            if (b > 1) fail("a flag holds " + std::to_string(b) + ", not 0 or 1");
            value = b == 1;
        } else if constexpr (da::Scalar<T>) {
            ar_(value);
        } else if constexpr (std::is_enum_v<T>) {
            std::underlying_type_t<T> raw{};
            ar_(raw);
            value = static_cast<T>(raw);
        } else if constexpr (std::same_as<T, std::string>) {
            const std::size_t n = read_size(1);
            value.assign(n, '\0');
            if (n > 0) ar_(cereal::binary_data(value.data(), n));
        } else if constexpr (da::is_vector<T>::value) {
            using E = typename T::value_type;
            const std::size_t n = read_size(da::min_bytes<E>());
            value.clear();
            value.resize(n);
            read_elements(value.data(), n);
        } else if constexpr (da::is_std_array<T>::value) {
            read_elements(value.data(), value.size());
        } else if constexpr (da::is_pair<T>::value) {
            read_into(value.first);
            read_into(value.second);
        } else if constexpr (da::is_optional<T>::value) {
            if (read<bool>()) {
                value.emplace();
                read_into(*value);
            } else {
                value.reset();
            }
        } else if constexpr (da::is_duration<T>::value) {
            value = T(static_cast<typename T::rep>(read<std::int64_t>()));
        } else if constexpr (da::is_time_point<T>::value) {
            value = T(read<typename T::duration>());
        } else if constexpr (da::DenseEigen<T>) {
            using E = typename T::Scalar;
            const auto rows = read<std::uint64_t>();
            const auto cols = read<std::uint64_t>();
            const bool fits_rows = T::RowsAtCompileTime == Eigen::Dynamic ||
                                   rows == static_cast<std::uint64_t>(T::RowsAtCompileTime);
            const bool fits_cols = T::ColsAtCompileTime == Eigen::Dynamic ||
                                   cols == static_cast<std::uint64_t>(T::ColsAtCompileTime);
            if (!fits_rows || !fits_cols) fail("a matrix has the wrong shape");
            if (cols != 0 && rows > remaining() / sizeof(E) / cols)
                fail("a matrix of " + std::to_string(rows) + " x " + std::to_string(cols) +
                     " is larger than the data left");
            value.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
            read_elements(value.data(), static_cast<std::size_t>(value.size()));
        } else if constexpr (requires(T & v, ArchiveReader & r) { v.load_fields(r); }) {
            value.load_fields(*this);
        } else if constexpr (requires(T & v, ArchiveReader & r) { v.archive(r); }) {
            value.archive(*this);
        } else {
            static_assert(sizeof(T) == 0, "augur::ArchiveReader: this type has no archive(ar) "
                                          "member nor save_fields/load_fields");
        }
    }

    /// Reads a length prefix and checks that `count * min_element_bytes` bytes are left.
    std::size_t read_size(std::size_t min_element_bytes) {
        const auto n = read_scalar<std::uint64_t>();
        if (min_element_bytes > 0 && n > remaining() / min_element_bytes)
            fail("a length of " + std::to_string(n) + " is longer than the data left (" +
                 std::to_string(remaining()) + " bytes)");
        return static_cast<std::size_t>(n);
    }

    /// Payload bytes not read yet.
    std::size_t remaining() const { return static_cast<std::size_t>(in_.rdbuf()->in_avail()); }

    /// Constructs T from `args`, turning a rejected configuration (invalid_argument) into a
    /// data_error: a saved configuration that does not validate is bad data.
    template <class T, class... Args>
    T construct(Args&&... args) {
        try {
            return T(std::forward<Args>(args)...);
        } catch (const invalid_argument& e) {
            fail(std::string("saved configuration rejected: ") + e.what());
        }
    }

    /// Throws data_error "<type>::load: message" unless `ok`.
    void require(bool ok, const std::string& message) {
        if (!ok) fail(message);
    }
    /// A finite double, else data_error naming `field`.
    double finite(const char* field) {
        const auto v = read_scalar<double>();
        if (!std::isfinite(v)) fail(std::string(field) + " is not finite");
        return v;
    }

    [[noreturn]] void fail(const std::string& message) const {
        throw data_error(type_ + "::load: " + message);
    }

private:
    template <class S>
    S read_scalar() {
        S v{};
        ar_(v);
        return v;
    }

    template <class E>
    void read_elements(E* data, std::size_t count) {
        if constexpr (detail::archive::Scalar<E>) {
            if (count > 0) ar_(cereal::binary_data(data, count * sizeof(E)));
        } else {
            for (std::size_t i = 0; i < count; ++i)
                read_into(data[i]);
        }
    }

    std::istringstream& in_;
    std::string type_;
    std::uint32_t version_;
    cereal::PortableBinaryInputArchive ar_;
};

namespace detail::archive {

/// Reads exactly `n` bytes (in chunks, so a forged size allocates no more than the stream
/// holds); false when the stream ends first.
inline bool read_exact(std::istream& in, std::string& out, std::uint64_t n) {
    out.clear();
    constexpr std::uint64_t chunk = 1U << 20;
    while (n > 0) {
        const std::size_t take = static_cast<std::size_t>(std::min(n, chunk));
        const std::size_t at = out.size();
        out.resize(at + take);
        in.read(out.data() + at, static_cast<std::streamsize>(take));
        if (static_cast<std::size_t>(in.gcount()) != take) {
            out.resize(at + static_cast<std::size_t>(in.gcount()));
            return false;
        }
        n -= take;
    }
    return true;
}

inline std::uint64_t get_le(std::string_view bytes) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        v |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
    return v;
}

/// Reads the envelope up to the payload; `crc_input` collects the bytes the checksum covers.
inline ArchiveHeader read_header(std::istream& in, std::string& crc_input, std::string_view who) {
    auto fail = [&](const std::string& message) -> void {
        throw data_error(std::string(who) + ": " + message);
    };
    std::string bytes;
    if (!read_exact(in, bytes, magic.size())) {
        if (bytes.empty()) fail("empty input: no augur archive");
        fail("truncated input: not an augur archive");
    }
    if (bytes != magic) fail("not an augur archive (wrong magic)");
    auto field = [&](std::size_t n, const char* what) {
        if (!read_exact(in, bytes, n)) fail(std::string("truncated archive (in its ") + what + ")");
        crc_input += bytes;
        return get_le(bytes);
    };
    ArchiveHeader h;
    h.format = static_cast<std::uint32_t>(field(4, "format version"));
    if (h.format == 0 || h.format > archive_format_version)
        fail("unsupported archive format " + std::to_string(h.format) +
             " (this build reads up to " + std::to_string(archive_format_version) + ")");
    const std::uint64_t type_length = field(4, "type tag");
    if (type_length == 0 || type_length > max_type_length)
        fail("implausible type tag length " + std::to_string(type_length));
    if (!read_exact(in, bytes, type_length)) fail("truncated archive (in its type tag)");
    crc_input += bytes;
    h.type = bytes;
    h.version = static_cast<std::uint32_t>(field(4, "type version"));
    h.payload_size = field(8, "payload size");
    return h;
}

} // namespace detail::archive

/// Writes `type` (a tag naming the saved type), its format `version` (>= 1) and the payload
/// `fill(ArchiveWriter&)` writes, in the envelope described above. Throws augur::error if the
/// stream fails.
template <class Fill>
void write_archive(std::ostream& out, std::string_view type, std::uint32_t version, Fill&& fill) {
    namespace da = detail::archive;
    AUGUR_ASSERT(!type.empty() && type.size() <= da::max_type_length && version >= 1,
                 "write_archive: the type tag must have 1-256 bytes and the version be >= 1");
    std::ostringstream payload_stream(std::ios::binary);
    {
        ArchiveWriter writer(payload_stream);
        std::forward<Fill>(fill)(writer);
    }
    const std::string payload = std::move(payload_stream).str();
    std::string head;
    da::put_le(head, archive_format_version, 4);
    da::put_le(head, type.size(), 4);
    head.append(type);
    da::put_le(head, version, 4);
    da::put_le(head, payload.size(), 8);
    const std::uint32_t crc = da::crc32(head, payload);
    std::string tail;
    da::put_le(tail, crc, 4);
    out.write(da::magic.data(), static_cast<std::streamsize>(da::magic.size()));
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
    out.write(tail.data(), static_cast<std::streamsize>(tail.size()));
    if (!out) throw error(std::string(type) + "::save: writing to the stream failed");
}

/// Reads an archive of `type` with a version in [1, max_version]: checks the envelope and the
/// checksum, then returns `parse(ArchiveReader&)`, which must read the whole payload.
/// Throws data_error on anything wrong (see the file comment).
template <class Parse>
auto read_archive(std::istream& in, std::string_view type, std::uint32_t max_version,
                  Parse&& parse) {
    namespace da = detail::archive;
    const std::string who = std::string(type) + "::load";
    auto fail = [&](const std::string& message) -> void { throw data_error(who + ": " + message); };
    std::string crc_input;
    const ArchiveHeader h = da::read_header(in, crc_input, who);
    if (h.type != type)
        fail("the archive holds a '" + h.type + "', not a '" + std::string(type) + "'");
    if (h.version == 0 || h.version > max_version)
        fail("unsupported format version " + std::to_string(h.version) +
             " (this build reads up to " + std::to_string(max_version) + ")");
    std::string payload;
    if (!da::read_exact(in, payload, h.payload_size))
        fail("truncated archive: the payload has " + std::to_string(payload.size()) + " of " +
             std::to_string(h.payload_size) + " bytes");
    std::string tail;
    if (!da::read_exact(in, tail, 4)) fail("truncated archive (in its checksum)");
    if (static_cast<std::uint32_t>(da::get_le(tail)) != da::crc32(crc_input, payload))
        fail("checksum mismatch: the archive is corrupted");
    std::istringstream payload_stream(std::move(payload), std::ios::binary);
    try {
        ArchiveReader reader(payload_stream, std::string(type), h.version);
        auto result = std::forward<Parse>(parse)(reader);
        if (reader.remaining() != 0)
            fail(std::to_string(reader.remaining()) + " unread bytes at the end of the payload");
        return result;
    } catch (const cereal::Exception&) {
        fail("the payload ends before its fields do");
    } catch (const std::length_error&) {
        fail("a length in the payload is implausible");
    }
    throw data_error(who); // not reached: fail() throws
}

/// A type that writes its fields into a larger archive: the asymmetric
/// save_fields(ArchiveWriter&) const / load_fields(ArchiveReader&), or a symmetric
/// template <class A> void archive(A&) member (what ArchiveWriter / ArchiveReader dispatch on).
template <class T>
concept FieldArchivable = requires(const T& ct, T& t, ArchiveWriter& w, ArchiveReader& r) {
    ct.save_fields(w);
    t.load_fields(r);
}
|| requires(T& t, ArchiveWriter& w, ArchiveReader& r) {
    t.archive(w);
    t.archive(r);
};

/// The bytes model.save(out) writes (a whole archive), e.g. to store one model inside another
/// archive as a string field.
template <class Model>
std::string save_to_bytes(const Model& model) {
    std::ostringstream out(std::ios::binary);
    model.save(out);
    return std::move(out).str();
}

/// Model::load over `bytes` (what save_to_bytes returned); throws what Model::load throws.
template <class Model>
Model load_from_bytes(const std::string& bytes) {
    std::istringstream in(bytes, std::ios::binary);
    return Model::load(in);
}

/// Reads the envelope of the archive at the stream's position without its payload, then seeks
/// back (the stream must be seekable): which type and version a file holds.
inline ArchiveHeader read_archive_header(std::istream& in) {
    const auto start = in.tellg();
    std::string crc_input;
    ArchiveHeader h = detail::archive::read_header(in, crc_input, "augur archive");
    in.clear();
    in.seekg(start);
    return h;
}

} // namespace v0
} // namespace augur
