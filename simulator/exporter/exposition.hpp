#pragma once
// The Prometheus text exposition format (version 0.0.4) of a process's modems: what
// GET /metrics answers (exporter/metrics_server). Pure: the totals come in, text goes
// out. docs/metrics.md lists every family; no label names a modem (an IMEI or client id
// per series would multiply the series by the fleet's size), so per-modem detail stays on
// the control channel.
//
// Thread safety: none needed; plain functions and a plain value.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/histogram.hpp"
#include "metrics/line_metrics.hpp"

namespace nt35e::exporter {

/// The Content-Type of the text format.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

/// A label value as the format writes it between quotes: \ " and line feed escaped.
std::string escape_label_value(std::string_view v);
/// A HELP text as the format writes it: \ and line feed escaped.
std::string escape_help(std::string_view v);
/// A number as the format writes it: the shortest text that reads back the same,
/// "+Inf", "-Inf" or "NaN".
std::string format_value(double v);

/// Metric families one after another: each family's HELP and TYPE lines, then its samples.
class text_writer {
 public:
  using labels = std::vector<std::pair<std::string_view, std::string>>;

  /// Starts a family; `type` is "counter", "gauge" or "histogram".
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const labels& l, double value);
  void sample(std::string_view name, const labels& l, std::uint64_t value);
  /// A whole histogram family of `h` in seconds: cumulative "_bucket" samples at
  /// histogram_bounds() and +Inf, then "_sum" and "_count".
  void histogram(std::string_view name, std::string_view help, const metrics::latency_histogram& h);

  const std::string& text() const { return out_; }

 private:
  void sample_text(std::string_view name, const labels& l, std::string_view value);
  std::string out_;
};

/// The buckets of latency_histogram exported as "le" bounds: those ending at a power of
/// two microseconds, from 2^6 us (64 us) to 2^26 us (about 67 s). At these bounds the
/// histogram's counts are exact, so the cumulative buckets are too.
std::span<const int> histogram_bounds();
/// Microseconds as exact decimal seconds: 1048576 -> "1.048576".
std::string seconds_text(std::uint64_t us);

/// What nt35e_build_info shows.
struct build_info {
  std::string version;  ///< nt35e-sim's version
  std::string profile;  ///< the profile the modems play ("nt35e", "ec616s")
};

/// The whole page for the totals `m` of the process's modems, `uptime_s` seconds after
/// the process started.
std::string render(const metrics::modem_metrics& m, const build_info& b, double uptime_s);

}  // namespace nt35e::exporter
