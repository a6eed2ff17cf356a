#pragma once
// A latency histogram with log-scale buckets (4 per power of two, from 1 us to about
// 71 min), so that percentiles are within about 10 %; only the span of buckets in use is
// kept (a modem's few octaves, not 128 buckets). Count, min, max and the mean are exact.
// Fleet totals merge the histograms of every modem.
//
// Thread safety: none; a histogram is a plain value.

#include <chrono>
#include <cstdint>
#include <vector>

namespace nt35e::metrics {

/// Durations in log-scale buckets; only the span from the lowest to the highest bucket
/// used is stored (a modem's line latencies span a few octaves, not 32).
class latency_histogram {
 public:
  static constexpr int buckets_per_octave = 4;
  static constexpr int octaves = 32;  ///< 1 us .. 2^32 us (about 71 minutes); longer goes in the last
  static constexpr int bucket_count = buckets_per_octave * octaves;

  void record(std::chrono::nanoseconds d);
  /// Adds every sample of `other` (fleet totals).
  void merge(const latency_histogram& other);

  std::uint64_t count() const { return count_; }
  /// The sum of every sample, in nanoseconds.
  std::uint64_t sum_ns() const { return sum_ns_; }
  /// Samples in buckets 0 to `b`: those of at most upper_bound_us(b) (Prometheus's
  /// cumulative "le" buckets are read this way, exactly, at bucket bounds).
  std::uint64_t count_up_to(int b) const;
  /// In microseconds; 0 when empty.
  double min_us() const { return count_ ? static_cast<double>(min_ns_) / 1000.0 : 0.0; }
  double max_us() const { return count_ ? static_cast<double>(max_ns_) / 1000.0 : 0.0; }
  double mean_us() const { return count_ ? static_cast<double>(sum_ns_) / 1000.0 / static_cast<double>(count_) : 0.0; }
  /// The q-quantile (0 < q <= 1) in microseconds: the upper bound of the bucket holding
  /// it, kept within [min, max]; 0 when empty.
  double quantile_us(double q) const;

  /// The bucket a duration of `us` microseconds falls in (exposed for tests).
  static int bucket_of(double us);
  /// The upper bound of bucket `b` in microseconds.
  static double upper_bound_us(int b);

 private:
  /// Makes room for bucket `b` and returns its count.
  std::uint64_t& slot(int b);
  /// The count of bucket `b` (0 outside the stored span).
  std::uint64_t at(int b) const;

  /// Buckets first_ .. first_ + size - 1; empty before the first sample.
  std::vector<std::uint64_t> buckets_;
  int first_ = 0;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ns_ = 0;
  std::uint64_t min_ns_ = 0;
  std::uint64_t max_ns_ = 0;
};

}  // namespace nt35e::metrics
