#pragma once

// Fixed-capacity windows over a stream: RingBuffer (last N items) and TimeWindow (items of the
// last `span` of time, at most N of them).
//
// Storage grows with the items held, geometrically, up to the capacity (so thousands of
// windows that have seen few items cost little); once a window has been full it allocates
// nothing more. Every operation is O(1) amortized (TimeWindow::push too: each item is
// evicted once); reserve() allocates the whole capacity up front for a hot path that must
// never allocate.
// Thread-safety: not synchronized; const members may be called concurrently.

#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"

#include <algorithm>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// A circular buffer of the last `capacity` items; pushing into a full buffer overwrites the
/// oldest. Index 0 and begin() are the oldest item, back() the newest.
/// Every operation is O(1) amortized (clear() excepted for T with a destructor); storage
/// grows with size() up to the capacity, or is allocated at once by reserve().
/// Saved and loaded through augur/core/archive.hpp (save_fields / load_fields).
/// @tparam T a default-constructible, copy-assignable type (slots are value-initialized).
/// Thread-safety: not synchronized; const members may be called concurrently.
/// @code
///   augur::RingBuffer<double> last(3);
///   for (double x : {1.0, 2.0, 3.0, 4.0}) last.push(x);   // the 4th push evicts 1.0
///   double oldest = last.front();                          // 2.0
/// @endcode
template <class T>
class RingBuffer {
    template <bool Const>
    class Iterator;

public:
    using value_type = T;
    using size_type = std::size_t;
    using reference = T&;
    using const_reference = const T&;
    using iterator = Iterator<false>;
    using const_iterator = Iterator<true>;

    /// A buffer holding at most `capacity` items. Throws invalid_argument when capacity is 0.
    /// Allocates nothing until the first push.
    explicit RingBuffer(std::size_t capacity) : capacity_(checked_capacity(capacity)) {}

    RingBuffer(const RingBuffer&) = default;
    RingBuffer& operator=(const RingBuffer&) = default;
    /// Moves leave `other` with capacity 0 (only assignment and destruction are then valid).
    RingBuffer(RingBuffer&& other) noexcept
        : slots_(std::move(other.slots_)), capacity_(std::exchange(other.capacity_, 0)),
          head_(std::exchange(other.head_, 0)), size_(std::exchange(other.size_, 0)) {}
    RingBuffer& operator=(RingBuffer&& other) noexcept {
        slots_ = std::move(other.slots_);
        capacity_ = std::exchange(other.capacity_, 0);
        head_ = std::exchange(other.head_, 0);
        size_ = std::exchange(other.size_, 0);
        return *this;
    }
    ~RingBuffer() = default;

    /// Appends `value` as the newest item. When the buffer is full the oldest item is
    /// overwritten and returned; otherwise returns nullopt.
    /// Allocates only while the storage grows towards the capacity (amortized O(1)).
    std::optional<T> push(const T& value) {
        AUGUR_ASSERT(capacity_ > 0, "RingBuffer::push: moved-from buffer");
        if (size_ < slots_.size()) {
            slots_[physical(size_)] = value;
            ++size_;
            return std::nullopt;
        }
        if (slots_.size() < capacity_) {
            grow(std::min(capacity_, std::max<std::size_t>(8, 2 * slots_.size())), value);
            return std::nullopt;
        }
        T& oldest = slots_[head_];
        if (&oldest == &value) { // pushing the oldest item itself: a rotation
            head_ = next(head_);
            return std::optional<T>(value);
        }
        std::optional<T> evicted(std::move(oldest));
        oldest = value;
        head_ = next(head_);
        return evicted;
    }

    /// Removes the oldest item. Precondition: !empty().
    void pop_front() {
        AUGUR_ASSERT(size_ > 0, "RingBuffer::pop_front: buffer is empty");
        if constexpr (!std::is_trivially_destructible_v<T>) slots_[head_] = T{};
        head_ = next(head_);
        --size_;
    }

    /// The i-th item, 0 being the oldest. Precondition: i < size().
    T& operator[](std::size_t i) {
        AUGUR_ASSERT(i < size_, "RingBuffer::operator[]: index out of range");
        return slots_[physical(i)];
    }
    const T& operator[](std::size_t i) const {
        AUGUR_ASSERT(i < size_, "RingBuffer::operator[]: index out of range");
        return slots_[physical(i)];
    }

    /// The oldest item. Precondition: !empty().
    T& front() { return (*this)[0]; }
    const T& front() const { return (*this)[0]; }
    /// The newest item. Precondition: !empty().
    T& back() { return (*this)[size_ - 1]; }
    const T& back() const { return (*this)[size_ - 1]; }

    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return capacity_; }
    bool empty() const noexcept { return size_ == 0; }
    bool full() const noexcept { return size_ == capacity_; }
    /// Bytes of item storage allocated now (grows with size() up to capacity * sizeof(T)).
    std::size_t allocated_bytes() const noexcept { return slots_.capacity() * sizeof(T); }

    /// Allocates the whole capacity now, so that no later push allocates.
    void reserve() {
        if (slots_.size() < capacity_) {
            linearize();
            slots_.reserve(capacity_);
        }
    }

    /// Writes the capacity and the items, oldest first (augur/core/archive.hpp).
    template <class Writer>
    void save_fields(Writer& w) const {
        w.write(static_cast<std::uint64_t>(capacity_));
        w.write_size(size_);
        for (std::size_t i = 0; i < size_; ++i)
            w.write((*this)[i]);
    }
    /// Reads what save_fields wrote; a zero capacity or more items than it is a data_error.
    template <class Reader>
    void load_fields(Reader& r) {
        const auto capacity = r.template read<std::uint64_t>();
        const std::size_t n = r.read_size(1);
        if (capacity == 0 || n > capacity)
            r.fail("a window of " + std::to_string(n) + " items in a capacity of " +
                   std::to_string(capacity));
        std::vector<T> items(n);
        for (T& item : items)
            r.read_into(item);
        slots_ = std::move(items);
        capacity_ = static_cast<std::size_t>(capacity);
        head_ = 0;
        size_ = n;
    }

    /// Removes every item; the capacity is kept. O(1) for trivially destructible T, else
    /// O(size) (the slots are reset to T{} to release what they hold).
    void clear() noexcept(
        std::is_nothrow_default_constructible_v<T>&& std::is_nothrow_move_assignable_v<T>) {
        if constexpr (!std::is_trivially_destructible_v<T>)
            for (std::size_t i = 0; i < size_; ++i)
                slots_[physical(i)] = T{};
        head_ = 0;
        size_ = 0;
    }

    iterator begin() noexcept { return iterator(this, 0); }
    iterator end() noexcept { return iterator(this, size_); }
    const_iterator begin() const noexcept { return const_iterator(this, 0); }
    const_iterator end() const noexcept { return const_iterator(this, size_); }
    const_iterator cbegin() const noexcept { return begin(); }
    const_iterator cend() const noexcept { return end(); }

private:
    /// Forward iterator from the oldest to the newest item.
    template <bool Const>
    class Iterator {
        using Owner = std::conditional_t<Const, const RingBuffer, RingBuffer>;

    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = std::conditional_t<Const, const T*, T*>;
        using reference = std::conditional_t<Const, const T&, T&>;

        Iterator() noexcept = default;
        /// Converts a mutable iterator to a const one.
        template <bool OtherConst>
        requires(Const && !OtherConst) Iterator(const Iterator<OtherConst>& other)
        noexcept // NOLINT(google-explicit-constructor)
            : owner_(other.owner_), index_(other.index_) {}

        reference operator*() const noexcept { return owner_->slots_[owner_->physical(index_)]; }
        pointer operator->() const noexcept { return &**this; }
        Iterator& operator++() noexcept {
            ++index_;
            return *this;
        }
        Iterator operator++(int) noexcept {
            Iterator old = *this;
            ++index_;
            return old;
        }
        friend bool operator==(const Iterator& a, const Iterator& b) noexcept {
            return a.index_ == b.index_ && a.owner_ == b.owner_;
        }

    private:
        friend class RingBuffer;
        template <bool>
        friend class Iterator;
        Iterator(Owner* owner, std::size_t index) noexcept : owner_(owner), index_(index) {}

        Owner* owner_ = nullptr;
        std::size_t index_ = 0;
    };

    static std::size_t checked_capacity(std::size_t capacity) {
        if (capacity == 0) throw_invalid_config("RingBuffer", "capacity", capacity, "must be > 0");
        return capacity;
    }

    // Moves the items to slots 0..size-1 (head_ = 0) so that the storage can grow in place.
    void linearize() {
        if (head_ != 0) {
            std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(head_),
                        slots_.end());
            head_ = 0;
        }
    }

    // Grows the storage to `new_capacity` slots and appends `value` (which may alias a slot).
    void grow(std::size_t new_capacity, const T& value) {
        T copy = value;
        linearize();
        slots_.reserve(new_capacity);
        slots_.push_back(std::move(copy));
        ++size_;
    }

    // Slot of logical index i (i < slots_.size()): one compare instead of a modulo. The
    // storage only grows while head_ == 0, so the modulus is the number of slots in use.
    std::size_t physical(std::size_t i) const noexcept {
        const std::size_t p = head_ + i;
        return p >= slots_.size() ? p - slots_.size() : p;
    }
    std::size_t next(std::size_t p) const noexcept { return p + 1 == slots_.size() ? 0 : p + 1; }

    std::vector<T> slots_;     // grows to capacity_ slots; full ring arithmetic on its size
    std::size_t capacity_ = 0; // 0 only when moved from
    std::size_t head_ = 0;     // slot of the oldest item
    std::size_t size_ = 0;
};

/// One item of a TimeWindow: a value and its time.
template <class T>
struct TimedValue {
    Timestamp time{};
    T value{};

    friend bool operator==(const TimedValue&, const TimedValue&) = default;
};

/// A sliding time window: the items whose time is within `span` of the newest time, i.e.
/// time > newest_time - span, and at most `capacity` of them (the oldest are evicted first
/// when either limit is exceeded). Built on RingBuffer: storage grows up to the capacity.
///
/// Times must be non-decreasing: push throws augur::data_error for a time earlier than the
/// newest time seen since construction or clear() (put an InputGuard in front to skip or
/// clamp such samples instead). Equal times are allowed.
/// push is O(1) amortized; everything else is O(1).
/// @tparam T a default-constructible, copy-assignable type.
/// Thread-safety: not synchronized; const members may be called concurrently.
/// @code
///   augur::TimeWindow<double> last_minute(std::chrono::minutes(1), 10'000);
///   last_minute.push(sample.time, sample.value);
///   for (const auto& item : last_minute) use(item.time, item.value);
/// @endcode
template <class T>
class TimeWindow {
public:
    using Item = TimedValue<T>;
    using value_type = Item;
    using iterator = typename RingBuffer<Item>::const_iterator;
    using const_iterator = iterator;

    /// Throws invalid_argument when span <= 0 or capacity == 0.
    TimeWindow(Duration span, std::size_t capacity) : span_(checked_span(span)), items_(capacity) {}

    /// Adds (time, value) as the newest item and evicts the items that left the window:
    /// those with item.time <= time - span, then the oldest one if the capacity is exceeded.
    /// Returns how many items were evicted. Throws data_error (and changes nothing) when `time`
    /// is earlier than the newest time pushed so far.
    std::size_t push(Timestamp time, const T& value) {
        if (has_newest_ && time < newest_)
            throw data_error("TimeWindow::push: time " + to_iso8601(time) +
                             " is earlier than the newest time " + to_iso8601(newest_));
        newest_ = time;
        has_newest_ = true;
        std::size_t evicted = expire(time - span_);
        if (items_.push(Item{time, value})) ++evicted;
        return evicted;
    }

    /// Evicts the items with item.time < cutoff; returns how many. Does not change the newest
    /// time that push checks against.
    std::size_t evict_before(Timestamp cutoff) {
        std::size_t evicted = 0;
        while (!items_.empty() && items_.front().time < cutoff) {
            items_.pop_front();
            ++evicted;
        }
        return evicted;
    }

    /// The i-th item, 0 being the oldest. Precondition: i < size().
    const Item& operator[](std::size_t i) const { return items_[i]; }
    /// The oldest item. Precondition: !empty().
    const Item& front() const { return items_.front(); }
    /// The newest item. Precondition: !empty().
    const Item& back() const { return items_.back(); }

    std::size_t size() const noexcept { return items_.size(); }
    std::size_t capacity() const noexcept { return items_.capacity(); }
    bool empty() const noexcept { return items_.empty(); }
    bool full() const noexcept { return items_.full(); }
    Duration span() const noexcept { return span_; }
    /// The newest time pushed since construction or clear(), if any.
    std::optional<Timestamp> newest_time() const noexcept {
        return has_newest_ ? std::optional<Timestamp>(newest_) : std::nullopt;
    }

    /// Removes every item and forgets the newest time.
    void clear() {
        items_.clear();
        has_newest_ = false;
    }

    iterator begin() const noexcept { return items_.begin(); }
    iterator end() const noexcept { return items_.end(); }

private:
    static Duration checked_span(Duration span) {
        if (span <= Duration::zero())
            throw_invalid_config("TimeWindow", "span (ns)", span.count(), "must be > 0");
        return span;
    }

    // Evicts items with time <= horizon.
    std::size_t expire(Timestamp horizon) {
        std::size_t evicted = 0;
        while (!items_.empty() && items_.front().time <= horizon) {
            items_.pop_front();
            ++evicted;
        }
        return evicted;
    }

    Duration span_;
    RingBuffer<Item> items_;
    Timestamp newest_{};
    bool has_newest_ = false;
};

} // namespace v0
} // namespace augur
