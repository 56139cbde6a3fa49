// CSV input throughput: the raw CsvParser and SampleReader (CSV -> Samples) on ~50 MB of
// generated wide numeric data (timestamp + N value columns, epoch-second or ISO timestamps),
// the long layout, and CsvWriter output. Figures are bytes of CSV per second.

#include <augur/core/io/csv.hpp>
#include <augur/core/io/sample_reader.hpp>
#include <augur/core/io/timestamp.hpp>
#include <augur/core/io/writer.hpp>
#include <augur/core/random.hpp>

#include <benchmark/benchmark.h>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <map>
#include <sstream>
#include <streambuf>
#include <string>
#include <tuple>

namespace {

constexpr std::size_t target_bytes = 50u << 20;

// An input streambuf over existing memory (no copy), so the benchmark measures parsing.
class MemoryBuf : public std::streambuf {
public:
    explicit MemoryBuf(const std::string& data) {
        char* p = const_cast<char*>(data.data());
        setg(p, p, p + data.size());
    }
};

void append_value(std::string& out, augur::Rng& rng) {
    // Metric-like values: a few significant digits, sometimes negative.
    const double value = std::round(augur::normal(rng, 50.0, 30.0) * 1000.0) / 1000.0;
    char buffer[32];
    out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

enum class TimeForm { epoch, iso };

// "timestamp,v1..vN" rows until about target_bytes. Generated once per shape.
const std::string& wide_data(int columns, TimeForm form) {
    static std::map<std::tuple<int, TimeForm>, std::string> cache;
    std::string& text = cache[{columns, form}];
    if (!text.empty()) return text;
    text.reserve(target_bytes + 4096);
    text = "timestamp";
    for (int c = 1; c <= columns; ++c)
        text += ",v" + std::to_string(c);
    text += '\n';
    augur::Rng rng{1};
    std::int64_t seconds = 1396310400;
    while (text.size() < target_bytes) {
        if (form == TimeForm::epoch) {
            text += std::to_string(seconds);
        } else {
            std::string iso = augur::to_iso8601(augur::from_epoch_seconds(double(seconds)));
            iso[10] = ' ';
            iso.pop_back(); // "2014-04-01 00:00:00", as in NAB files
            text += iso;
        }
        for (int c = 0; c < columns; ++c) {
            text += ',';
            append_value(text, rng);
        }
        text += '\n';
        seconds += 60;
    }
    return text;
}

const std::string& long_data() {
    static std::string text;
    if (!text.empty()) return text;
    text.reserve(target_bytes + 4096);
    text = "series,timestamp,value\n";
    augur::Rng rng{2};
    std::int64_t seconds = 1396310400;
    const char* names[] = {"agent/planner/latency_ms", "agent/planner/tokens",
                           "agent/coder/latency_ms", "agent/coder/tokens"};
    while (text.size() < target_bytes) {
        for (const char* name : names) {
            text += name;
            text += ',';
            text += std::to_string(seconds);
            text += ',';
            append_value(text, rng);
            text += '\n';
        }
        seconds += 60;
    }
    return text;
}

void run_parser(benchmark::State& state, const std::string& text) {
    std::size_t fields = 0;
    for (auto _ : state) {
        MemoryBuf buf{text};
        std::istream in{&buf};
        augur::io::CsvParser parser{in, "bench"};
        augur::io::CsvRecord record;
        while (parser.next(record))
            fields += record.size();
        benchmark::DoNotOptimize(fields);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void run_reader(benchmark::State& state, const std::string& text) {
    std::size_t samples = 0;
    double sum = 0.0;
    for (auto _ : state) {
        MemoryBuf buf{text};
        std::istream in{&buf};
        augur::SeriesRegistry registry;
        augur::io::SampleReader reader{in, "bench", registry};
        std::size_t count = 0; // locals, so the loop does not go through memory
        double total = 0.0;
        for (const augur::Sample& s : reader) {
            ++count;
            total += s.value;
        }
        samples += count;
        sum += total;
        benchmark::DoNotOptimize(sum);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
    state.counters["samples/s"] =
        benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
}

void BM_CsvParser_WideEpoch(benchmark::State& state) {
    run_parser(state, wide_data(static_cast<int>(state.range(0)), TimeForm::epoch));
}
void BM_CsvParser_WideIso(benchmark::State& state) {
    run_parser(state, wide_data(static_cast<int>(state.range(0)), TimeForm::iso));
}
void BM_SampleReader_WideEpoch(benchmark::State& state) {
    run_reader(state, wide_data(static_cast<int>(state.range(0)), TimeForm::epoch));
}
void BM_SampleReader_WideIso(benchmark::State& state) {
    run_reader(state, wide_data(static_cast<int>(state.range(0)), TimeForm::iso));
}
void BM_SampleReader_Long(benchmark::State& state) {
    run_reader(state, long_data());
}

// Cell-level costs.
void BM_ParseDouble(benchmark::State& state) {
    augur::Rng rng{3};
    std::string cells[256];
    for (auto& cell : cells)
        append_value(cell, rng);
    std::size_t i = 0;
    for (auto _ : state)
        benchmark::DoNotOptimize(augur::io::parse_double(cells[i++ & 255]));
}
void BM_ParseTimestampEpoch(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(augur::io::parse_timestamp("1396310400"));
}
void BM_ParseTimestampIso(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(augur::io::parse_timestamp("2014-04-01 00:05:00"));
}

// Output: rows of timestamp + 8 doubles, bytes written per second.
void BM_CsvWriter_Wide(benchmark::State& state) {
    augur::Rng rng{4};
    double values[8 * 64];
    for (double& v : values)
        v = std::round(augur::normal(rng, 50.0, 30.0) * 1000.0) / 1000.0;
    std::size_t bytes = 0;
    for (auto _ : state) {
        std::ostringstream out;
        augur::io::CsvWriter csv{out};
        for (int row = 0; row < 10000; ++row) {
            csv.field(std::int64_t{1396310400} + row);
            for (int c = 0; c < 8; ++c)
                csv.field(values[(row & 63) * 8 + c]);
            csv.end_row();
        }
        bytes += out.str().size();
        benchmark::DoNotOptimize(bytes);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

} // namespace

BENCHMARK(BM_CsvParser_WideEpoch)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CsvParser_WideIso)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SampleReader_WideEpoch)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SampleReader_WideIso)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SampleReader_Long)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseDouble);
BENCHMARK(BM_ParseTimestampEpoch);
BENCHMARK(BM_ParseTimestampIso);
BENCHMARK(BM_CsvWriter_Wide)->Unit(benchmark::kMillisecond);
