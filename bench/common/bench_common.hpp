#pragma once
// Shared pieces of the nt35e-sim benchmarks (bench/): clocks and statistics, a line
// reader for a DTE's file descriptor (PTY slave or TCP socket), the simulator's two
// timing modes, the machine description, and plain-text tables.
//
// Everything here is bounded: every wait takes a deadline.

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace nt35e::bench {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

/// Microseconds between two instants, as a double.
double micros(clock::duration d);
/// Milliseconds between two instants, as a double.
double millis(clock::duration d);
/// A number of seconds as a clock duration.
clock::duration seconds_of(double s);

/// Summary of a set of samples (microseconds, or any unit).
struct summary {
  std::size_t n = 0;
  double p50 = 0, p99 = 0, mean = 0, min = 0, max = 0;
};
/// Nearest-rank percentiles; sorts a copy.
summary summarize(std::vector<double> samples);

/// How the simulator's delays are set.
enum class timing_mode {
  spec,  ///< the spec's delays (what a driver sees); only the power-on wait is skipped
  zero,  ///< every delay zero or scaled to microseconds: the simulator's own overhead
};
const char* mode_name(timing_mode m);  ///< "spec timings" / "zero delays"
const char* mode_key(timing_mode m);   ///< "spec" / "zero"
/// The --set arguments for a mode.
std::vector<std::string> timing_args(timing_mode m);

/// One way of running the simulator in a benchmark.
struct variant {
  timing_mode mode;
  std::string log_level;  ///< "" = the simulator's default (info: full transcript on stderr)
  std::string label;      ///< the "mode" column: "zero delays", "zero delays, no transcript", "spec timings"
  std::string key;        ///< short, for topics and client ids: "zero", "zero-quiet", "spec"
  bool targeted;          ///< the issue's targets apply to this variant's rows
  bool tcp_dte = false;   ///< the DTE line is a TCP connection (--tcp) instead of a PTY
};

struct options;
/// The three variants every benchmark runs: zero delays as the simulator runs by default
/// (the targets apply here), zero delays without the transcript (--log-level warn: what
/// the transcript costs), and the spec's timings (what a driver sees).
std::vector<variant> standard_variants(const options& opts);
/// The standard variants plus zero delays with the DTE on TCP instead of a PTY (no
/// target): the MQTT benchmarks run it to show what the PTY itself costs, since every
/// AT+ECMTPUB waits for its OK over that line and a PTY's delivery goes through a kernel
/// worker (bench/README.md, "Publish path").
std::vector<variant> mqtt_variants(const options& opts);

/// Command-line options common to every benchmark.
struct options {
  int count = 0;            ///< 0: the benchmark's default
  double seconds = 0;       ///< 0: the benchmark's default
  std::string results_dir;  ///< where results.json / results.md live
  bool write_results = true;
  bool quick = false;             ///< smaller counts and shorter limits (smoke run)
  std::string log_level;          ///< passed to the simulator when set (default: its own, info)
  std::vector<std::string> only;  ///< --only: the variant keys to run (empty: all)
};
/// Parses --count N --seconds S --results DIR --no-results --quick --sim-log-level L --only KEYS;
/// prints usage and exits(2) on anything else.
options parse_options(int argc, char** argv, const char* what);

/// A line-oriented reader/writer over one file descriptor (owned). Lines end in "\r\n"
/// (a lone "\n" also ends a line); empty lines are skipped, as a DTE driver does.
class line_channel {
 public:
  line_channel() = default;
  explicit line_channel(int fd);
  ~line_channel();
  line_channel(line_channel&& o) noexcept;
  line_channel& operator=(line_channel&& o) noexcept;
  line_channel(const line_channel&) = delete;
  line_channel& operator=(const line_channel&) = delete;

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] bool eof() const { return eof_; }

  /// Writes all of `bytes` (bounded by `timeout`); false if the line is gone.
  bool send(std::string_view bytes, milliseconds timeout = 2s);
  /// Reads until a line for which `want` is true; lines before it go to `other` (if
  /// given). Returns the line, or nothing on timeout / end of stream.
  std::optional<std::string> wait_line(const std::function<bool(std::string_view)>& want, clock::time_point deadline,
                                       const std::function<void(std::string_view)>& other = {});
  /// Waits until the line equals `text` exactly.
  std::optional<std::string> wait_exact(std::string_view text, clock::time_point deadline,
                                        const std::function<void(std::string_view)>& other = {});
  /// Hands every complete line to `f` until `deadline`, or until `f` returns false,
  /// or until no byte arrived for `idle`. Returns the number of lines seen.
  std::size_t pump(const std::function<bool(std::string_view)>& f, clock::time_point deadline,
                   milliseconds idle = milliseconds::max());
  /// The longest time between two successful reads since the last reset, and the
  /// number of reads (shows whether the reader, rather than the writer, fell behind).
  [[nodiscard]] clock::duration max_read_gap() const { return max_gap_; }
  [[nodiscard]] std::size_t reads() const { return reads_; }
  void reset_read_stats() {
    max_gap_ = {};
    reads_ = 0;
    last_read_ = {};
  }

  /// Drops buffered input and whatever arrives within `d`.
  void drain(milliseconds d);
  void close();

 private:
  /// Next complete line from the buffer, if any.
  std::optional<std::string_view> next_line();
  /// One poll()+read(); false on timeout or end of stream.
  bool fill(clock::time_point deadline);

  int fd_ = -1;
  bool eof_ = false;
  std::string buf_;
  std::size_t head_ = 0;  ///< consumed prefix of buf_
  std::string line_;      ///< storage for the last line handed out
  clock::duration max_gap_{};
  clock::time_point last_read_{};
  std::size_t reads_ = 0;
};

/// Opens a PTY slave (or a link to it) as the DTE: raw mode (cfmakeraw), non-blocking.
int open_pty_dte(const std::string& path);
/// 127.0.0.1:port as a socket address.
sockaddr_in loopback_address(int port);
/// Connects to 127.0.0.1:port with TCP_NODELAY, non-blocking.
int connect_tcp(int port);

/// Sends "ATE0\r" until "OK" comes back (the line may not be attached yet, and the
/// module drops output while no DTE is there), then waits for registration
/// (+CGATT:1). Throws std::runtime_error with `diag` on failure.
void prepare_modem(line_channel& dte, const std::function<std::string()>& diag, milliseconds limit = 15s);

/// "nproc", "cpu", "kernel", "date", "load" of this machine.
struct machine_info {
  int nproc = 0;
  std::string cpu, kernel, date, load;
};
machine_info describe_machine();
std::string to_text(const machine_info& m);

/// A fresh private temp directory (removed by the destructor).
class temp_dir {
 public:
  explicit temp_dir(const std::string& stem);
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Formats a number with `digits` decimals.
std::string fixed(double v, int digits = 1);
/// The last `n` characters of `s` (with "..." before them when cut): diagnostics stay readable.
std::string tail(const std::string& s, std::size_t n = 3000);
/// A std::runtime_error saying `what` and errno's text.
std::runtime_error sys_error(const std::string& what);

/// Ignores SIGPIPE and turns SIGINT/SIGTERM/SIGHUP into an exit() so that destructors
/// (simulators, brokers, echo children) still run... as far as exit() runs them: the
/// handler sets a flag that the loops check (interrupted()).
void install_signal_handlers();
/// True once SIGINT, SIGTERM or SIGHUP arrived.
bool interrupted();
/// Throws std::runtime_error("interrupted by a signal") once interrupted(): loops call it.
void check_interrupt();

/// A benchmark's main(): runs `body` and turns an exception into one line on stderr
/// ("<name>: <what>") and exit status 1.
int guarded_main(const char* name, const std::function<int()>& body);

}  // namespace nt35e::bench
