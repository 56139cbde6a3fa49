#pragma once

// Posteriors for Thompson-sampling routing: what the router believes about one arm's reward.
//
// BetaBernoulli  success probability of a binary (or [0, 1]) reward; Beta(alpha, beta).
// NormalGamma    a continuous reward with unknown mean and variance (conjugate Normal-Gamma).
// (LinearGaussian, for a reward that depends on a context vector, is in linear_gaussian.hpp.)
//
// Each posterior samples (Thompson draw), learns (update, with a weight), unlearns (remove, for
// sliding windows), forgets (decay: scales the evidence toward the prior, for discounting),
// reports its mean and an equal-tailed credible interval, merges with the same posterior
// from another replica (the data's sufficient statistics add; the prior is counted once), and
// saves to / loads from augur's archive format (core/archive.hpp; anything malformed on load
// throws augur::data_error). A posterior also writes its fields into a larger archive (a
// router's) with save_fields / load_fields.
// Bad rewards (NaN, out of range) throw augur::data_error; nothing changes then.
// Every operation is O(1) and allocation-free; a BetaBernoulli sample is ~7 ns (two gamma
// draws by augur::GammaDraw, core/random.hpp).
// Thread-safety: value types, not synchronized; const members may be called concurrently.

#include "augur/core/archive.hpp"
#include "augur/core/error.hpp"
#include "augur/core/random.hpp"
#include "augur/routing/detail/attributes.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/beta.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <istream>
#include <limits>
#include <ostream>
#include <span>
#include <sstream>
#include <string>

namespace augur {
inline namespace v0 {

/// A closed interval [lower, upper].
struct Interval {
    double lower = std::numeric_limits<double>::quiet_NaN();
    double upper = std::numeric_limits<double>::quiet_NaN();
    constexpr bool contains(double x) const noexcept { return lower <= x && x <= upper; }
    constexpr double width() const noexcept { return upper - lower; }
};

/// A posterior over one arm's (context-free) reward. Contract:
///   sample(rng)            a Thompson draw of the arm's expected reward; O(1)
///   check(reward)          throws data_error if `reward` is not a valid reward
///   update(reward, w)      learn a reward with weight w > 0;  remove(reward, w) unlearns it
///   decay(factor)          multiply the evidence by factor in [0, 1] (0 forgets all)
///   reset()                back to the prior;  merge(other) adds other's evidence
///   mean(), count()        posterior mean, evidence (weighted number of rewards)
///   sample_mean()          mean of the rewards seen (NaN without evidence), for baselines
///   credible_interval(level), save(ostream&), static load(istream&)
/// A router saves its arms' posteriors as fields of its own archive when the posterior has
/// save_fields(ArchiveWriter&) const / load_fields(ArchiveReader&) (or a symmetric
/// archive(ar) member), else as the bytes of save() (see FieldArchivable).
template <class P>
concept Posterior = std::copy_constructible<P> &&
    requires(P& p, const P& cp, Rng& rng, double x, std::ostream& out, std::istream& in) {
    { cp.sample(rng) } -> std::convertible_to<double>;
    cp.check(x);
    p.update(x, x);
    p.remove(x, x);
    p.decay(x);
    p.reset();
    p.merge(cp);
    { cp.mean() } -> std::convertible_to<double>;
    { cp.count() } -> std::convertible_to<double>;
    { cp.sample_mean() } -> std::convertible_to<double>;
    { cp.credible_interval(x) } -> std::same_as<Interval>;
    cp.save(out);
    { P::load(in) } -> std::same_as<P>;
};

/// A posterior over a reward that depends on a context vector x (contextual Thompson
/// sampling): the same contract with x added to sample, check, update, remove, mean and
/// credible_interval, plus dimension().
template <class P>
concept ContextualPosterior = std::copy_constructible<P> &&
    requires(P& p, const P& cp, Rng& rng, std::span<const double> ctx, double x, std::ostream& out,
             std::istream& in) {
    { cp.sample(rng, ctx) } -> std::convertible_to<double>;
    cp.check(ctx, x);
    p.update(ctx, x, x);
    p.remove(ctx, x, x);
    p.decay(x);
    p.reset();
    p.merge(cp);
    { cp.mean(ctx) } -> std::convertible_to<double>;
    { cp.count() } -> std::convertible_to<double>;
    { cp.credible_interval(ctx, x) } -> std::same_as<Interval>;
    { cp.dimension() } -> std::convertible_to<std::size_t>;
    cp.save(out);
    { P::load(in) } -> std::same_as<P>;
};

namespace detail::routing {

/// P's archive tag (P::archive_tag), or an empty string for a posterior without one.
template <class P>
std::string posterior_tag() {
    if constexpr (requires { std::string(P::archive_tag); })
        return std::string(P::archive_tag);
    else
        return {};
}

/// Writes a posterior inside another archive: its fields when it is FieldArchivable, else the
/// bytes of its save() as one string.
template <class P>
void write_nested(ArchiveWriter& w, const P& p) {
    if constexpr (FieldArchivable<P>) {
        w(p);
    } else {
        w(save_to_bytes(p));
    }
}

/// Reads what write_nested wrote into `p` (which holds the prototype: its configuration, e.g.
/// a dimension, is what the fields are read against).
template <class P>
void read_nested(ArchiveReader& r, P& p) {
    if constexpr (FieldArchivable<P>) {
        r(p);
    } else {
        p = load_from_bytes<P>(r.read<std::string>());
    }
}

[[noreturn]] AUGUR_ROUTING_NOINLINE inline void throw_bad_reward(const char* where, double reward,
                                                                 const char* requirement) {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, reward);
    throw data_error(std::string(where) + ": reward = " + std::string(buffer, result.ptr) + ": " +
                     requirement);
}

inline void check_weight(const char* where, double weight) {
    if (!(weight > 0.0 && weight < std::numeric_limits<double>::infinity()))
        throw_invalid_config(where, "weight", weight, "must be finite and > 0");
}

inline void check_decay(const char* where, double factor) {
    if (!(factor >= 0.0 && factor <= 1.0))
        throw_invalid_config(where, "factor", factor, "must be in [0, 1]");
}

inline void check_level(const char* where, double level) {
    if (!(level > 0.0 && level < 1.0))
        throw_invalid_config(where, "level", level, "must be in (0, 1)");
}

inline void check_prior(const char* where, const char* field, double value) {
    if (!(value > 0.0 && std::isfinite(value)))
        throw_invalid_config(where, field, value, "must be finite and > 0");
}

} // namespace detail::routing

/// Beta-Bernoulli posterior of a success probability: Beta(prior_alpha + successes,
/// prior_beta + failures). A reward r in [0, 1] counts as r successes and 1 - r failures
/// (exact for binary rewards; for fractional rewards the usual generalisation).
/// O(1) per operation, 80 bytes. Thread-safety: value type (see the file comment).
/// @code
///   augur::BetaBernoulli p;            // Beta(1, 1) prior
///   p.update(1.0); p.update(0.0);      // one success, one failure
///   double draw = p.sample(rng);       // Thompson draw
///   auto ci = p.credible_interval(0.95);
/// @endcode
class BetaBernoulli {
public:
    /// Type tag and format version of its archive (core/archive.hpp).
    static constexpr const char* archive_tag = "augur.BetaBernoulli";
    static constexpr std::uint32_t format_version = 1;

    /// Beta(1, 1) (uniform) prior.
    BetaBernoulli() noexcept { refresh(); }
    /// Beta(prior_alpha, prior_beta) prior; both finite and > 0, else invalid_argument.
    BetaBernoulli(double prior_alpha, double prior_beta)
        : prior_alpha_(prior_alpha), prior_beta_(prior_beta) {
        detail::routing::check_prior("BetaBernoulli", "prior_alpha", prior_alpha);
        detail::routing::check_prior("BetaBernoulli", "prior_beta", prior_beta);
        refresh();
    }

    /// A draw from Beta(alpha, beta). O(1), ~8 ns.
    template <class G>
    AUGUR_ROUTING_INLINE double sample(G& rng) const noexcept {
        const auto& tables = detail::random::ziggurat_tables();
        const double x = draw_alpha_(rng, tables);
        const double y = draw_beta_(rng, tables);
        return x / (x + y);
    }

    /// Throws data_error unless 0 <= reward <= 1.
    void check(double reward) const {
        if (!(reward >= 0.0 && reward <= 1.0))
            detail::routing::throw_bad_reward("BetaBernoulli", reward, "must be in [0, 1]");
    }

    /// Learns a reward in [0, 1] with weight > 0.
    void update(double reward, double weight = 1.0) {
        check(reward);
        detail::routing::check_weight("BetaBernoulli::update", weight);
        successes_ += weight * reward;
        failures_ += weight * (1.0 - reward);
        // A binary reward changes one shape: only its draw constants are recomputed.
        if (reward != 0.0) draw_alpha_.set_shape(alpha());
        if (reward != 1.0) draw_beta_.set_shape(beta());
        mean_ = alpha() / (alpha() + beta());
    }

    /// Unlearns a reward learnt before (sliding windows); evidence never drops below zero.
    void remove(double reward, double weight = 1.0) {
        check(reward);
        detail::routing::check_weight("BetaBernoulli::remove", weight);
        successes_ = std::max(0.0, successes_ - weight * reward);
        failures_ = std::max(0.0, failures_ - weight * (1.0 - reward));
        refresh();
    }

    /// Multiplies the evidence by factor in [0, 1]; the prior is kept.
    void decay(double factor) {
        detail::routing::check_decay("BetaBernoulli::decay", factor);
        successes_ *= factor;
        failures_ *= factor;
        refresh();
    }

    /// Forgets all evidence.
    void reset() noexcept {
        successes_ = failures_ = 0.0;
        refresh();
    }

    /// Adds the evidence of `other`, which must have the same prior (else invalid_argument).
    void merge(const BetaBernoulli& other) {
        if (other.prior_alpha_ != prior_alpha_ || other.prior_beta_ != prior_beta_)
            throw invalid_argument("BetaBernoulli::merge: the priors differ");
        successes_ += other.successes_;
        failures_ += other.failures_;
        refresh();
    }

    double alpha() const noexcept { return prior_alpha_ + successes_; }
    double beta() const noexcept { return prior_beta_ + failures_; }
    double prior_alpha() const noexcept { return prior_alpha_; }
    double prior_beta() const noexcept { return prior_beta_; }
    /// Weighted successes and failures seen.
    double successes() const noexcept { return successes_; }
    double failures() const noexcept { return failures_; }
    /// Evidence: weighted number of rewards.
    double count() const noexcept { return successes_ + failures_; }
    /// Posterior mean alpha / (alpha + beta).
    double mean() const noexcept { return mean_; }
    /// Mean of the rewards seen; NaN without evidence.
    double sample_mean() const noexcept {
        return count() > 0.0 ? successes_ / count() : std::numeric_limits<double>::quiet_NaN();
    }
    /// Posterior variance.
    double variance() const noexcept {
        const double a = alpha();
        const double b = beta();
        return a * b / ((a + b) * (a + b) * (a + b + 1.0));
    }
    /// Equal-tailed credible interval of the success probability; level in (0, 1).
    Interval credible_interval(double level = 0.95) const {
        detail::routing::check_level("BetaBernoulli::credible_interval", level);
        const double tail = 0.5 * (1.0 - level);
        return {boost::math::ibeta_inv(alpha(), beta(), tail),
                boost::math::ibeta_inv(alpha(), beta(), 1.0 - tail)};
    }

    /// Writes an archive (core/archive.hpp); throws augur::error if the stream fails.
    void save(std::ostream& out) const {
        write_archive(out, archive_tag, format_version, [&](ArchiveWriter& w) { w(*this); });
    }

    /// Reads what save wrote; throws data_error on anything malformed (see core/archive.hpp)
    /// or invalid values.
    static BetaBernoulli load(std::istream& in) {
        return read_archive(in, archive_tag, format_version, [](ArchiveReader& r) {
            BetaBernoulli p;
            r(p);
            return p;
        });
    }

    /// The fields: prior alpha and beta, successes, failures.
    void save_fields(ArchiveWriter& w) const {
        w(prior_alpha_, prior_beta_, successes_, failures_);
    }
    /// Reads save_fields' fields into this posterior; data_error (nothing changed) when they
    /// are not finite, the prior is not > 0 or the evidence is negative.
    void load_fields(ArchiveReader& r) {
        const double a = r.finite("prior_alpha");
        const double b = r.finite("prior_beta");
        const double s = r.finite("successes");
        const double f = r.finite("failures");
        r.require(s >= 0.0 && f >= 0.0, "negative evidence");
        BetaBernoulli p = r.construct<BetaBernoulli>(a, b);
        p.successes_ = s;
        p.failures_ = f;
        p.refresh();
        *this = p;
    }

    friend bool operator==(const BetaBernoulli& x, const BetaBernoulli& y) noexcept {
        return x.prior_alpha_ == y.prior_alpha_ && x.prior_beta_ == y.prior_beta_ &&
               x.successes_ == y.successes_ && x.failures_ == y.failures_;
    }

private:
    void refresh() noexcept {
        draw_alpha_.set_shape(alpha());
        draw_beta_.set_shape(beta());
        mean_ = alpha() / (alpha() + beta());
    }

    double prior_alpha_ = 1.0;
    double prior_beta_ = 1.0;
    double successes_ = 0.0;
    double failures_ = 0.0;
    double mean_ = 0.5;
    GammaDraw draw_alpha_;
    GammaDraw draw_beta_;
};

/// The prior of a NormalGamma posterior: the mean is believed to be `mean` as if seen in
/// `kappa` rewards; the precision 1/sigma^2 is Gamma(alpha, rate beta). Defaults suit rewards
/// in [0, 1]; set them to the scale of your reward.
struct NormalGammaPrior {
    double mean = 0.5;
    double kappa = 1.0;
    double alpha = 1.0;
    double beta = 0.25;
};

/// Normal-Gamma posterior of a continuous reward with unknown mean and variance. Weighted
/// sufficient statistics (evidence n, mean, sum of squared deviations) are kept with Welford's
/// update, so merge, remove and decay are exact and stable.
/// Posterior: kappa_n = kappa + n, mean_n = (kappa mean_0 + n xbar) / kappa_n,
/// alpha_n = alpha + n / 2, beta_n = beta + m2 / 2 + kappa n (xbar - mean_0)^2 / (2 kappa_n).
/// sample() draws tau ~ Gamma(alpha_n, beta_n), then mu ~ N(mean_n, 1 / (kappa_n tau)).
/// The mean's marginal is Student-t with 2 alpha_n degrees of freedom (credible_interval).
/// O(1) per operation. Thread-safety: value type (see the file comment).
class NormalGamma {
public:
    /// Type tag and format version of its archive (core/archive.hpp).
    static constexpr const char* archive_tag = "augur.NormalGamma";
    static constexpr std::uint32_t format_version = 1;

    NormalGamma() noexcept { refresh(); }
    /// Validates the prior: mean finite, kappa, alpha, beta finite and > 0 (invalid_argument).
    explicit NormalGamma(const NormalGammaPrior& prior) : prior_(prior) {
        if (!std::isfinite(prior.mean))
            throw_invalid_config("NormalGamma", "prior.mean", prior.mean, "must be finite");
        detail::routing::check_prior("NormalGamma", "prior.kappa", prior.kappa);
        detail::routing::check_prior("NormalGamma", "prior.alpha", prior.alpha);
        detail::routing::check_prior("NormalGamma", "prior.beta", prior.beta);
        refresh();
    }

    /// A draw of the mean reward. O(1).
    template <class G>
    double sample(G& rng) const noexcept {
        const auto& tables = detail::random::ziggurat_tables();
        const double tau = draw_precision_(rng, tables) / beta_n_;
        return mean_n_ + detail::random::ziggurat_normal(rng, tables) / std::sqrt(kappa_n_ * tau);
    }

    /// Throws data_error unless the reward is finite.
    void check(double reward) const {
        if (!std::isfinite(reward))
            detail::routing::throw_bad_reward("NormalGamma", reward, "must be finite");
    }

    void update(double reward, double weight = 1.0) {
        check(reward);
        detail::routing::check_weight("NormalGamma::update", weight);
        const double n = n_ + weight;
        const double delta = reward - mean_;
        mean_ += weight * delta / n;
        m2_ += weight * delta * (reward - mean_);
        n_ = n;
        refresh();
    }

    /// Unlearns a reward learnt before; when the evidence reaches zero the state is reset.
    void remove(double reward, double weight = 1.0) {
        check(reward);
        detail::routing::check_weight("NormalGamma::remove", weight);
        const double n = n_ - weight;
        if (n <= 1e-12 * std::max(1.0, n_)) {
            reset();
            return;
        }
        const double old_mean = (n_ * mean_ - weight * reward) / n;
        m2_ = std::max(0.0, m2_ - weight * (reward - old_mean) * (reward - mean_));
        mean_ = old_mean;
        n_ = n;
        refresh();
    }

    void decay(double factor) {
        detail::routing::check_decay("NormalGamma::decay", factor);
        n_ *= factor;
        m2_ *= factor;
        if (n_ == 0.0) mean_ = 0.0;
        refresh();
    }

    void reset() noexcept {
        n_ = mean_ = m2_ = 0.0;
        refresh();
    }

    /// Adds the evidence of `other` (Chan et al.); the priors must be equal (invalid_argument).
    void merge(const NormalGamma& other) {
        if (other.prior_.mean != prior_.mean || other.prior_.kappa != prior_.kappa ||
            other.prior_.alpha != prior_.alpha || other.prior_.beta != prior_.beta)
            throw invalid_argument("NormalGamma::merge: the priors differ");
        if (other.n_ == 0.0) return;
        const double n = n_ + other.n_;
        const double delta = other.mean_ - mean_;
        m2_ += other.m2_ + delta * delta * (n_ * other.n_ / n);
        mean_ += delta * (other.n_ / n);
        n_ = n;
        refresh();
    }

    const NormalGammaPrior& prior() const noexcept { return prior_; }
    double count() const noexcept { return n_; }
    /// Mean of the rewards seen; NaN without evidence.
    double sample_mean() const noexcept {
        return n_ > 0.0 ? mean_ : std::numeric_limits<double>::quiet_NaN();
    }
    /// Weighted sum of squared deviations of the rewards from their mean.
    double sum_squared_deviations() const noexcept { return m2_; }
    /// Posterior mean of the reward's mean.
    double mean() const noexcept { return mean_n_; }
    double kappa_n() const noexcept { return kappa_n_; }
    double alpha_n() const noexcept { return alpha_n_; }
    double beta_n() const noexcept { return beta_n_; }
    /// Posterior mean of the reward variance beta_n / (alpha_n - 1); +inf when alpha_n <= 1.
    double noise_variance() const noexcept {
        return alpha_n_ > 1.0 ? beta_n_ / (alpha_n_ - 1.0)
                              : std::numeric_limits<double>::infinity();
    }
    /// Equal-tailed credible interval of the mean (Student-t marginal); level in (0, 1).
    Interval credible_interval(double level = 0.95) const {
        detail::routing::check_level("NormalGamma::credible_interval", level);
        const boost::math::students_t t(2.0 * alpha_n_);
        const double q = boost::math::quantile(t, 0.5 + 0.5 * level);
        const double scale = std::sqrt(beta_n_ / (alpha_n_ * kappa_n_));
        return {mean_n_ - q * scale, mean_n_ + q * scale};
    }

    /// Writes an archive (core/archive.hpp); throws augur::error if the stream fails.
    void save(std::ostream& out) const {
        write_archive(out, archive_tag, format_version, [&](ArchiveWriter& w) { w(*this); });
    }

    /// Reads what save wrote; data_error on anything malformed or invalid values.
    static NormalGamma load(std::istream& in) {
        return read_archive(in, archive_tag, format_version, [](ArchiveReader& r) {
            NormalGamma p;
            r(p);
            return p;
        });
    }

    /// The fields: the prior (mean, kappa, alpha, beta), then evidence, mean and m2.
    void save_fields(ArchiveWriter& w) const {
        w(prior_.mean, prior_.kappa, prior_.alpha, prior_.beta, n_, mean_, m2_);
    }
    /// Reads save_fields' fields into this posterior; data_error (nothing changed) on a prior
    /// the constructor rejects, a value that is not finite or negative evidence.
    void load_fields(ArchiveReader& r) {
        NormalGammaPrior prior;
        prior.mean = r.finite("prior.mean");
        prior.kappa = r.finite("prior.kappa");
        prior.alpha = r.finite("prior.alpha");
        prior.beta = r.finite("prior.beta");
        NormalGamma p = r.construct<NormalGamma>(prior);
        p.n_ = r.finite("count");
        p.mean_ = r.finite("mean");
        p.m2_ = r.finite("m2");
        r.require(p.n_ >= 0.0 && p.m2_ >= 0.0, "negative evidence");
        p.refresh();
        *this = p;
    }

    friend bool operator==(const NormalGamma& x, const NormalGamma& y) noexcept {
        return x.prior_.mean == y.prior_.mean && x.prior_.kappa == y.prior_.kappa &&
               x.prior_.alpha == y.prior_.alpha && x.prior_.beta == y.prior_.beta && x.n_ == y.n_ &&
               x.mean_ == y.mean_ && x.m2_ == y.m2_;
    }

private:
    void refresh() noexcept {
        kappa_n_ = prior_.kappa + n_;
        mean_n_ = (prior_.kappa * prior_.mean + n_ * mean_) / kappa_n_;
        alpha_n_ = prior_.alpha + 0.5 * n_;
        const double shift = mean_ - prior_.mean;
        beta_n_ = prior_.beta + 0.5 * m2_ + prior_.kappa * n_ * shift * shift / (2.0 * kappa_n_);
        draw_precision_.set_shape(alpha_n_);
    }

    NormalGammaPrior prior_;
    double n_ = 0.0;
    double mean_ = 0.0;
    double m2_ = 0.0;
    double kappa_n_ = 1.0;
    double mean_n_ = 0.5;
    double alpha_n_ = 1.0;
    double beta_n_ = 0.25;
    GammaDraw draw_precision_;
};

static_assert(Posterior<BetaBernoulli>);
static_assert(Posterior<NormalGamma>);

} // namespace v0
} // namespace augur
