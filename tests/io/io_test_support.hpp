#pragma once

// Helpers shared by the io tests.

#include <algorithm>
#include <cstddef>
#include <ios>
#include <streambuf>
#include <string>

namespace augur_test {

/// An input streambuf over a string that makes at most `chunk` bytes available at a time (as a
/// pipe would), so readers must refill often and records straddle refills.
class ChunkedStreambuf : public std::streambuf {
public:
    ChunkedStreambuf(std::string data, std::size_t chunk) : data_(std::move(data)), chunk_(chunk) {
        setg(data_.data(), data_.data(), data_.data());
    }

    std::size_t underflows() const noexcept { return underflows_; }

protected:
    int_type underflow() override {
        if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
        const std::size_t at = static_cast<std::size_t>(egptr() - data_.data());
        if (at == data_.size()) return traits_type::eof();
        ++underflows_;
        const std::size_t n = std::min(chunk_, data_.size() - at);
        setg(data_.data() + at, data_.data() + at, data_.data() + at + n);
        return traits_type::to_int_type(*gptr());
    }

private:
    std::string data_;
    std::size_t chunk_;
    std::size_t underflows_ = 0;
};

} // namespace augur_test
