#include "metrics/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace nt35e::metrics {

std::uint64_t& latency_histogram::slot(int b) {
  if (buckets_.empty()) {
    first_ = b;
    buckets_.push_back(0);
  } else if (b < first_) {
    buckets_.insert(buckets_.begin(), static_cast<std::size_t>(first_ - b), 0);
    first_ = b;
  } else if (b >= first_ + static_cast<int>(buckets_.size())) {
    buckets_.resize(static_cast<std::size_t>(b - first_ + 1), 0);
  }
  return buckets_[static_cast<std::size_t>(b - first_)];
}

std::uint64_t latency_histogram::at(int b) const {
  if (b < first_ || b >= first_ + static_cast<int>(buckets_.size())) return 0;
  return buckets_[static_cast<std::size_t>(b - first_)];
}

int latency_histogram::bucket_of(double us) {
  if (!(us > 1.0)) return 0;
  // Bucket b covers (2^((b-1)/4), 2^(b/4)] microseconds.
  const int b = static_cast<int>(std::ceil(std::log2(us) * buckets_per_octave - 1e-9));
  return std::clamp(b, 0, bucket_count - 1);
}

double latency_histogram::upper_bound_us(int b) { return std::exp2(static_cast<double>(b) / buckets_per_octave); }

void latency_histogram::record(std::chrono::nanoseconds d) {
  const std::uint64_t ns = d.count() > 0 ? static_cast<std::uint64_t>(d.count()) : 0;
  ++slot(bucket_of(static_cast<double>(ns) / 1000.0));
  if (count_ == 0 || ns < min_ns_) min_ns_ = ns;
  if (ns > max_ns_) max_ns_ = ns;
  ++count_;
  sum_ns_ += ns;
}

void latency_histogram::merge(const latency_histogram& other) {
  if (other.count_ == 0) return;
  // Its lowest and highest buckets first: the span grows at most twice, not bucket by bucket.
  slot(other.first_);
  slot(other.first_ + static_cast<int>(other.buckets_.size()) - 1);
  for (std::size_t i = 0; i < other.buckets_.size(); ++i) slot(other.first_ + static_cast<int>(i)) += other.buckets_[i];
  if (count_ == 0 || other.min_ns_ < min_ns_) min_ns_ = other.min_ns_;
  max_ns_ = std::max(max_ns_, other.max_ns_);
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
}

std::uint64_t latency_histogram::count_up_to(int b) const {
  if (b >= bucket_count - 1) return count_;
  std::uint64_t n = 0;
  for (int i = first_; i <= b && i < first_ + static_cast<int>(buckets_.size()); ++i) n += at(i);
  return n;
}

double latency_histogram::quantile_us(double q) const {
  if (count_ == 0 || buckets_.empty()) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the sample wanted, 1-based: the smallest r with r >= q * count.
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (int b = first_; b < first_ + static_cast<int>(buckets_.size()); ++b) {
    seen += at(b);
    if (seen >= rank) return std::clamp(upper_bound_us(b), min_us(), max_us());
  }
  return max_us();
}

}  // namespace nt35e::metrics
