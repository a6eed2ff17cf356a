#include "common/bench_common.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>
#include <algorithm>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <utility>

namespace nt35e::bench {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_signal(int) { g_interrupted.store(true); }

int remaining_ms(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now()).count();
  if (left < 0) return 0;
  if (left > 60'000) return 60'000;
  return static_cast<int>(left);
}

}  // namespace

std::runtime_error sys_error(const std::string& what) { return std::runtime_error(what + ": " + std::strerror(errno)); }

void check_interrupt() {
  if (g_interrupted.load()) throw std::runtime_error("interrupted by a signal");
}

void install_signal_handlers() {
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR and the loops notice
  for (int s : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &sa, nullptr);
}

bool interrupted() { return g_interrupted.load(); }

double micros(clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double millis(clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

clock::duration seconds_of(double s) {
  return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(s));
}

summary summarize(std::vector<double> v) {
  summary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto rank = [&](double p) {
    auto k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
    if (k < 1) k = 1;
    return v[std::min(k, v.size()) - 1];
  };
  s.p50 = rank(0.50);
  s.p99 = rank(0.99);
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  s.min = v.front();
  s.max = v.back();
  return s;
}

const char* mode_name(timing_mode m) { return m == timing_mode::spec ? "spec timings" : "zero delays"; }
const char* mode_key(timing_mode m) { return m == timing_mode::spec ? "spec" : "zero"; }

std::vector<std::string> timing_args(timing_mode m) {
  // Both modes skip the power-on wait (ECRDY and registration): it is not what is measured.
  std::vector<std::string> fields = {"timing.boot=0", "timing.registration=0"};
  if (m == timing_mode::zero) {
    // Every delay on the measured paths to zero; the limits (CONNACK, guard, reconnect,
    // the ack fallback) keep the profile's values, which a healthy run never reaches.
    for (const char* f :
         {"timing.basic_result=0", "timing.cfg_ok=0", "timing.open_ok=0", "timing.first_open_ok=0", "timing.conn_ok=0",
          "timing.ecmt_ok=0", "timing.qos0_publish_urc=0", "timing.close_disc_urc=0", "timing.recv_urc=0",
          "timing.urc_after_backend=0", "timing.open_urc=0", "timing.cgatt_ok=0"})
      fields.emplace_back(f);
  }
  std::vector<std::string> args;
  for (auto& f : fields) {
    args.emplace_back("--set");
    args.push_back(std::move(f));
  }
  return args;
}

namespace {
/// Keeps the variants --only names (all when it names none).
std::vector<variant> selected(std::vector<variant> all, const options& opts) {
  if (opts.only.empty()) return all;
  std::vector<variant> kept;
  for (auto& v : all)
    if (std::find(opts.only.begin(), opts.only.end(), v.key) != opts.only.end()) kept.push_back(std::move(v));
  return kept;
}
std::vector<variant> all_standard_variants(const options& opts) {
  return {
      {timing_mode::zero, opts.log_level, mode_name(timing_mode::zero), "zero", true},
      {timing_mode::zero, "warn", std::string(mode_name(timing_mode::zero)) + ", no transcript", "zero-quiet", false},
      {timing_mode::spec, opts.log_level, mode_name(timing_mode::spec), "spec", false},
  };
}
}  // namespace

std::vector<variant> standard_variants(const options& opts) { return selected(all_standard_variants(opts), opts); }

std::vector<variant> mqtt_variants(const options& opts) {
  auto v = all_standard_variants(opts);
  v.insert(v.begin() + 1, {timing_mode::zero, opts.log_level,
                           std::string(mode_name(timing_mode::zero)) + ", DTE over TCP", "zero-tcp", false, true});
  return selected(std::move(v), opts);
}

options parse_options(int argc, char** argv, const char* what) {
  options o;
#ifdef NT35E_BENCH_RESULTS_DIR
  o.results_dir = NT35E_BENCH_RESULTS_DIR;
#endif
  auto usage = [&](const std::string& why) {
    if (!why.empty()) std::cerr << argv[0] << ": " << why << "\n";
    std::cerr << "usage: " << argv[0]
              << " [--count N] [--seconds S] [--quick] [--results DIR] [--no-results] [--sim-log-level L]"
                 " [--only zero,zero-tcp,zero-quiet,spec]\n"
              << what << "\n";
    std::exit(why.empty() ? 0 : 2);
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--count")
        o.count = std::stoi(value());
      else if (a == "--seconds")
        o.seconds = std::stod(value());
      else if (a == "--results")
        o.results_dir = value();
      else if (a == "--no-results")
        o.write_results = false;
      else if (a == "--quick")
        o.quick = true;
      else if (a == "--sim-log-level")
        o.log_level = value();
      else if (a == "--only") {
        // Comma-separated variant keys: zero, zero-tcp, zero-quiet, spec.
        std::string keys = value();
        for (std::size_t at = 0; at <= keys.size();) {
          const auto comma = std::min(keys.find(',', at), keys.size());
          if (comma > at) o.only.push_back(keys.substr(at, comma - at));
          at = comma + 1;
        }
        for (const auto& k : o.only)
          if (k != "zero" && k != "zero-tcp" && k != "zero-quiet" && k != "spec")
            usage("unknown variant " + k + " for --only (zero, zero-tcp, zero-quiet, spec)");
      } else if (a == "--help" || a == "-h")
        usage("");
      else
        usage("unknown option " + a);
    } catch (const std::logic_error&) {
      usage("bad number for " + a);
    }
  }
  if (o.results_dir.empty()) o.results_dir = "bench/results";
  return o;
}

// ---------------------------------------------------------------------------------
// line_channel

line_channel::line_channel(int fd) : fd_(fd) {
  if (fd_ >= 0) ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

line_channel::~line_channel() { close(); }

line_channel::line_channel(line_channel&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), eof_(o.eof_), buf_(std::move(o.buf_)), head_(o.head_) {}

line_channel& line_channel::operator=(line_channel&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    eof_ = o.eof_;
    buf_ = std::move(o.buf_);
    head_ = o.head_;
  }
  return *this;
}

void line_channel::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool line_channel::send(std::string_view bytes, milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      check_interrupt();
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, remaining_ms(deadline)) <= 0 && clock::now() >= deadline) return false;
      continue;
    }
    return false;
  }
  return true;
}

std::optional<std::string_view> line_channel::next_line() {
  for (;;) {
    auto nl = buf_.find('\n', head_);
    if (nl == std::string::npos) {
      if (head_ > 0 && head_ == buf_.size()) {
        buf_.clear();
        head_ = 0;
      }
      return std::nullopt;
    }
    std::size_t end = nl;
    if (end > head_ && buf_[end - 1] == '\r') --end;
    std::string_view line(buf_.data() + head_, end - head_);
    head_ = nl + 1;
    // A stray CR at the start (the "\r\n" that opens a response) is not content.
    while (!line.empty() && line.front() == '\r') line.remove_prefix(1);
    if (line.empty()) continue;
    line_.assign(line);
    if (head_ > 65536) {
      buf_.erase(0, head_);
      head_ = 0;
    }
    return std::string_view(line_);
  }
}

bool line_channel::fill(clock::time_point deadline) {
  if (fd_ < 0 || eof_) return false;
  for (;;) {
    check_interrupt();
    char tmp[16384];
    ssize_t got = ::read(fd_, tmp, sizeof tmp);
    if (got > 0) {
      buf_.append(tmp, static_cast<std::size_t>(got));
      auto now = clock::now();
      if (reads_++ > 0 && now - last_read_ > max_gap_) max_gap_ = now - last_read_;
      last_read_ = now;
      return true;
    }
    if (got == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      eof_ = true;  // EIO: the other side of the PTY is gone
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
  }
}

std::optional<std::string> line_channel::wait_line(const std::function<bool(std::string_view)>& want,
                                                   clock::time_point deadline,
                                                   const std::function<void(std::string_view)>& other) {
  for (;;) {
    while (auto line = next_line()) {
      if (want(*line)) return std::string(*line);
      if (other) other(*line);
    }
    if (!fill(deadline)) {
      if (eof_ || clock::now() >= deadline) return std::nullopt;
    }
  }
}

std::optional<std::string> line_channel::wait_exact(std::string_view text, clock::time_point deadline,
                                                    const std::function<void(std::string_view)>& other) {
  return wait_line([&](std::string_view l) { return l == text; }, deadline, other);
}

std::size_t line_channel::pump(const std::function<bool(std::string_view)>& f, clock::time_point deadline,
                               milliseconds idle) {
  std::size_t seen = 0;
  auto last = clock::now();
  for (;;) {
    while (auto line = next_line()) {
      ++seen;
      if (!f(*line)) return seen;
    }
    auto now = clock::now();
    if (now >= deadline) return seen;
    auto until = deadline;
    if (idle != milliseconds::max() && last + idle < until) until = last + idle;
    if (fill(until)) {
      last = clock::now();
    } else {
      if (eof_) return seen;
      if (idle != milliseconds::max() && clock::now() >= last + idle) return seen;
    }
  }
}

void line_channel::drain(milliseconds d) {
  auto deadline = clock::now() + d;
  while (fill(deadline)) {}
  buf_.clear();
  head_ = 0;
}

// ---------------------------------------------------------------------------------

int open_pty_dte(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw sys_error("cannot open " + path);
  termios t{};
  if (::tcgetattr(fd, &t) != 0) {
    ::close(fd);
    throw sys_error("tcgetattr " + path);
  }
  ::cfmakeraw(&t);
  t.c_cflag |= CLOCAL | CREAD;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  if (::tcsetattr(fd, TCSANOW, &t) != 0) {
    ::close(fd);
    throw sys_error("tcsetattr " + path);
  }
  return fd;
}

sockaddr_in loopback_address(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  return a;
}

int connect_tcp(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw sys_error("socket");
  sockaddr_in a = loopback_address(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    auto e = sys_error("connect 127.0.0.1:" + std::to_string(port));
    ::close(fd);
    throw e;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

void prepare_modem(line_channel& dte, const std::function<std::string()>& diag, milliseconds limit) {
  auto deadline = clock::now() + limit;
  bool ok = false;
  while (!ok && clock::now() < deadline) {
    if (!dte.send("ATE0\r")) throw std::runtime_error("the line is gone\n" + diag());
    ok = dte.wait_exact("OK", std::min(deadline, clock::now() + 300ms)).has_value();
  }
  if (!ok) throw std::runtime_error("no OK to ATE0\n" + diag());
  dte.drain(50ms);  // a late second OK from a retry
  for (;;) {
    if (clock::now() >= deadline) throw std::runtime_error("not registered (+CGATT:1) in time\n" + diag());
    dte.send("AT+CGATT?\r");
    bool attached = false;
    auto r = dte.wait_line([](std::string_view l) { return l == "OK" || l.find("ERROR") != std::string_view::npos; },
                           deadline, [&](std::string_view l) { attached |= (l == "+CGATT:1" || l == "+CGATT: 1"); });
    if (!r) throw std::runtime_error("no answer to AT+CGATT?\n" + diag());
    if (attached) return;
    std::this_thread::sleep_for(50ms);
  }
}

machine_info describe_machine() {
  machine_info m;
  m.nproc = static_cast<int>(std::thread::hardware_concurrency());
  {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("model name", 0) == 0) {
        auto c = line.find(':');
        m.cpu = c == std::string::npos ? line : line.substr(c + 2);
        break;
      }
    }
  }
  utsname u{};
  if (::uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  m.date = buf;
  {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    m.load = a + " " + b + " " + c;
  }
  return m;
}

std::string to_text(const machine_info& m) {
  return std::to_string(m.nproc) + " CPU (" + m.cpu + "), " + m.kernel + ", load " + m.load + ", " + m.date;
}

temp_dir::temp_dir(const std::string& stem) {
  std::string tmpl = "/tmp/" + stem + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw sys_error("mkdtemp");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string tail(const std::string& s, std::size_t n) { return s.size() > n ? "..." + s.substr(s.size() - n) : s; }

int guarded_main(const char* name, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace nt35e::bench
