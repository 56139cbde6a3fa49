// The README's embedding example: stream the embedded agent-fleet data set through an input
// guard, the default anomaly detector and an annotator, and print the serious anomalies.
#include <augur/augur.hpp>
#include <iostream>

int main() {
    augur::AgentFleet fleet = augur::make_agent_fleet(); // 4 agents x 7 metrics, 14 days
    augur::InputGuard guard;         // NaN, inf, out-of-order samples: a counted policy
    augur::DefaultDetector detector; // one configuration serves any number of series
    augur::Annotator<> annotator;    // type, severity and a sentence for each anomaly

    for (const augur::Sample& raw : fleet.samples) {
        const auto sample = guard.admit(raw);
        if (!sample) continue;
        const augur::Detection detection = detector.observe(*sample);
        const auto& key = fleet.registry.key(sample->series);
        if (auto anomaly = annotator.annotate(*sample, detection, key, "default"))
            if (anomaly->severity >= augur::Severity::error)
                std::cout << augur::to_iso8601(anomaly->time) << "  "
                          << augur::to_string(anomaly->type) << "  " << anomaly->explanation
                          << '\n';
    }
}
