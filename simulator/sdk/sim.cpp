#include "sdk/sim.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>
#include <variant>

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <nlohmann/json.hpp>

#include "control/dispatch.hpp"
#include "control/target.hpp"
#include "fleet/fleet_events.hpp"
#include "io/logger.hpp"
#include "io/pty_transport.hpp"
#include "io/session.hpp"
#include "io/tcp_transport.hpp"
#include "metrics/line_metrics.hpp"
#include "modem/profile.hpp"
#include "mqtt/host_map.hpp"
#include "paho/paho_backend.hpp"
#include "scenario/apply.hpp"
#include "scenario/json_loader.hpp"
#include "scripted/loopback_backend.hpp"
#include "trace/recorder.hpp"
#include "trace/report_html.hpp"

#ifndef NT35E_VERSION
#define NT35E_VERSION "0"
#endif

namespace nt35e::sdk {

namespace net = boost::asio;
namespace fs = std::filesystem;

const char* version() { return NT35E_VERSION; }

namespace {

/// The session's recording into the artifacts directory (what --record writes).
class trace_tap final : public io::session_tap {
 public:
  trace_tap(const std::string& path, const nt35e::modem::profile& p)
      : rec_(path, trace::header{p.name, "", {}}, trace::redact_options{!p.show_secrets, false, false},
             nt35e::modem::clock::now()) {}
  void dte_in(std::string_view b, nt35e::modem::time_point t) override { rec_.dte_in(b, t); }
  void dte_out(std::string_view b, nt35e::modem::time_point t) override { rec_.dte_out(b, t); }
  void request(const mqtt::any_request& r, nt35e::modem::time_point t) override { rec_.request(r, t); }
  void event(const mqtt::any_event& e, nt35e::modem::time_point t) override { rec_.event(e, t); }
  void note(const nt35e::modem::log_record& r, nt35e::modem::time_point t) override { rec_.note(r, t); }
  void finish() { rec_.finish(nt35e::modem::clock::now()); }

 private:
  trace::recorder rec_;
};

std::string in_quotes(std::string_view v) { return "\"" + std::string(v) + "\""; }

/// The scenario the modem plays, or error with the loader's first diagnostic (the first
/// line nt35e-sim prints for it).
scenario::scenario load_world(const options& o) {
  if (!o.scenario_file.empty() && !o.scenario_json.empty())
    throw error("give a scenario file or scenario JSON text, not both");
  if (o.scenario_file.empty() && o.scenario_json.empty()) return {};
  auto loaded = o.scenario_file.empty() ? scenario::load_text(o.scenario_json, "scenario.json")
                                        : scenario::load_file(o.scenario_file);
  if (auto* bad = std::get_if<std::vector<scenario::diagnostic>>(&loaded)) {
    auto text = scenario::format(*bad);
    throw error(text.substr(0, text.find('\n')));
  }
  auto world = std::move(std::get<scenario::scenario>(loaded));
  if (world.file.empty()) world.file = o.scenario_file.empty() ? "scenario.json" : o.scenario_file;
  // --live and --map-host reach the world too: AT+ECPING resolves names with its host model.
  if (o.live) world.broker.live = true;
  if (world.broker.live)
    for (const auto& spec : o.map_hosts)
      if (auto eq = spec.find('='); eq != std::string::npos && mqtt::host_map::parse_entry(spec))
        world.broker.map_host.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
  return world;
}

/// The profile, lowest precedence first, as nt35e-sim builds it: the scenario's (or
/// options::profile's), the scenario's settings, the settings in order, the time scale.
nt35e::modem::profile build_profile(const options& o, const scenario::scenario& world) {
  nt35e::modem::profile p;
  scenario::scenario base = world;
  if (!o.profile.empty()) {
    if (!nt35e::modem::builtin_profile(o.profile))
      throw error("--profile: there is no built-in profile " + in_quotes(o.profile) + "; use nt35e or ec616s");
    base.profile = o.profile;
  }
  if (auto why = scenario::apply(base, p); !why.empty())
    throw error((world.file.empty()
                     ? (o.profile.empty() ? std::string("the default scenario") : "--profile " + o.profile)
                     : "scenario " + world.file) +
                ": " + why);
  for (const auto& s : o.settings) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw error("--set needs FIELD=VALUE, as in --set echo=0, not " + in_quotes(s));
    if (auto why = nt35e::modem::set_profile_field(p, s.substr(0, eq), s.substr(eq + 1)); !why.empty())
      throw error("--set " + s + ": " + why);
  }
  if (o.time_scale != 0) {
    std::ostringstream scale;
    scale << o.time_scale;
    if (auto why = nt35e::modem::set_profile_field(p, "time_scale", scale.str()); !why.empty())
      throw error("--time-scale " + scale.str() + ": " + why);
  }
  if (o.live) p.live_broker = true;  // the module's own URC delays are added to a real broker's
  return p;
}

/// A new directory "$TMPDIR/nt35e-sim-XXXXXX".
std::string make_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/nt35e-sim-XXXXXX";
  if (!::mkdtemp(pattern.data()))
    throw error("cannot create a directory for the transcript in " + pattern + ": " + std::strerror(errno));
  return pattern;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

struct __attribute__((visibility("hidden"))) modem::impl {
  options opts;
  std::string dir, transcript_file, trace_file, pty, line;
  bool own_dir = false, keep = false;
  unsigned short port = 0;

  net::io_context ioc{1};
  int log_fd = -1;
  std::optional<io::logger> log;
  scenario::scenario world;
  nt35e::modem::profile profile;
  std::unique_ptr<mqtt::backend> backend;
  std::unique_ptr<io::session> session;
  metrics::line_metrics metrics;
  std::unique_ptr<trace_tap> tap;
  std::unique_ptr<io::transport> transport;
  std::shared_ptr<control::fleet_target> target;
  std::shared_ptr<std::atomic<bool>> stop_events = std::make_shared<std::atomic<bool>>(false);
  std::unique_ptr<fleet::event_scheduler> events;

  std::thread thread;
  std::promise<void> ended;
  std::shared_future<void> ended_future = ended.get_future().share();
  mutable std::mutex mutex;
  std::string failure;        ///< guarded by mutex
  bool stopped = false;       ///< guarded by mutex
  bool detached = false;      ///< the thread did not stop in time and was left running
  bool thread_ended = false;  ///< guarded by mutex

  explicit impl(options o) : opts(std::move(o)) {}

  void start();
  std::unique_ptr<mqtt::backend> make_backend();
  /// Runs `f` on the modem's thread and waits for it (at most call_timeout); runs it here
  /// when the thread is gone (nothing else touches the modem then).
  template <class F>
  auto on_modem(F f) -> decltype(f());
  void shutdown();  ///< on the modem's thread: stop everything, end run()
  void stop();
  std::string failure_or(std::string fallback) const {
    std::lock_guard lock(mutex);
    return failure.empty() ? fallback : failure;
  }
  ~impl() {
    stop();
    if (log_fd >= 0) ::close(log_fd);
  }
};

std::unique_ptr<mqtt::backend> modem::impl::make_backend() {
  auto ex = ioc.get_executor();
  if (opts.live || world.broker.live) {
    mqtt::host_map map;
    for (const auto& [from, to] : world.broker.map_host)
      if (auto why = map.add(from + "=" + to); !why.empty())
        throw error("scenario " + world.file + ": broker.map_host: " + why);
    for (const auto& spec : opts.map_hosts)
      if (auto why = map.add(spec); !why.empty()) throw error(why);
    auto paho = std::make_unique<paho::paho_backend>(ex, std::move(map), profile.cert_dir, profile.show_secrets);
    // Paho's callbacks run on its threads; the sink is called from the modem's executor only.
    paho->set_log_sink([this](std::string_view text) { log->log(io::log_level::info, "paho: " + std::string(text)); });
    return paho;
  }
  if (!opts.map_hosts.empty()) log->log(io::log_level::warn, "--map-host has no effect without --live");
  return std::make_unique<scripted::loopback_backend>(ex, profile, world.broker);
}

void modem::impl::start() {
  world = load_world(opts);
  profile = build_profile(opts, world);
  auto level = io::parse_log_level(opts.log_level);
  if (!level) throw error("--log-level: " + in_quotes(opts.log_level) + " is not error, warn, info, debug or trace");
  boost::system::error_code ec;
  auto address = net::ip::make_address(opts.tcp_host, ec);
  if (opts.line == line_kind::tcp && ec) throw error("--tcp: " + in_quotes(opts.tcp_host) + " is not an IP address");

  if (opts.artifacts_dir.empty()) {
    dir = make_temp_dir();
    own_dir = true;
  } else {
    dir = opts.artifacts_dir;
    std::error_code made;
    fs::create_directories(dir, made);
    if (made) throw error("cannot create " + dir + ": " + made.message());
  }
  transcript_file = dir + "/transcript.log";
  trace_file = dir + "/trace.jsonl";
  log_fd = ::open(transcript_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw error("cannot create " + transcript_file + ": " + std::strerror(errno));
  log.emplace(*level, log_fd);
  log->set_show_secrets(profile.show_secrets);

  backend = make_backend();
  session = std::make_unique<io::session>(ioc.get_executor(), profile, backend.get(), *log, world);
  session->set_observer(&metrics);
  try {
    tap = std::make_unique<trace_tap>(trace_file, profile);
  } catch (const std::exception& e) {
    throw error(std::string("--record: ") + e.what());
  }
  session->set_tap(tap.get());

  if (opts.line == line_kind::pty) {
    pty = opts.pty_path.empty() ? dir + "/modem" : opts.pty_path;
    transport = std::make_unique<io::pty_transport>(ioc.get_executor(), pty, *log);
  } else {
    transport =
        std::make_unique<io::tcp_transport>(ioc.get_executor(), net::ip::tcp::endpoint(address, opts.tcp_port), *log);
  }
  try {
    transport->start(*session);
  } catch (const io::startup_error& e) {
    throw error(e.what());
  }
  if (opts.line == line_kind::tcp) port = static_cast<io::tcp_transport&>(*transport).local_endpoint().port();
  line = transport->ready_text();

  target = std::make_shared<control::fleet_target>(
      control::one_modem(ioc.get_executor(), control::for_session(*session, profile.max_ecmt_id, &metrics)));
  events = std::make_unique<fleet::event_scheduler>(net::make_strand(ioc), target, world.fleet_events,
                                                    profile.time_scale, *log);
  log->log(io::log_level::info, "ready: " + line);
  session->start();
  events->start();
  thread = std::thread([this] {
    try {
      ioc.run();
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex);
      failure = std::string("the modem stopped: ") + e.what();
    } catch (...) {
      std::lock_guard lock(mutex);
      failure = "the modem stopped on an unknown exception";
    }
    {
      std::lock_guard lock(mutex);
      thread_ended = true;
      if (failure.empty() && !stopped) failure = "the modem's event loop ended on its own";
    }
    ended.set_value();
  });
}

template <class F>
auto modem::impl::on_modem(F f) -> decltype(f()) {
  using result = decltype(f());
  {
    std::lock_guard lock(mutex);
    if (thread_ended || !thread.joinable()) return f();
  }
  auto task = std::make_shared<std::packaged_task<result()>>(std::move(f));
  auto answer = task->get_future();
  net::post(ioc, [task] { (*task)(); });
  // The modem may end meanwhile: then the task never runs, so wait for either.
  const auto deadline = std::chrono::steady_clock::now() + opts.call_timeout;
  while (answer.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
    if (ended_future.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
      throw error(failure_or("the modem is not running"));
    if (std::chrono::steady_clock::now() > deadline)
      throw error("the modem did not answer within " + std::to_string(opts.call_timeout.count()) + " ms");
  }
  return answer.get();
}

void modem::impl::shutdown() {
  stop_events->store(true);
  if (events) events->stop();
  if (transport) transport->stop();
  if (session) session->stop();
  // Backends may hold work (Paho callbacks, reconnect timers): leave anyway.
  ioc.stop();
}

void modem::impl::stop() {
  {
    std::lock_guard lock(mutex);
    if (stopped) return;
    stopped = true;
  }
  if (thread.joinable()) {
    net::post(ioc, [this] { shutdown(); });
    // The loop ends within a turn; a modem stuck inside a handler is left behind
    // (detached) rather than hanging the test that stops it.
    if (ended_future.wait_for(opts.call_timeout) == std::future_status::ready) {
      thread.join();
    } else {
      thread.detach();
      detached = true;
      std::lock_guard lock(mutex);
      if (failure.empty())
        failure = "the modem did not stop within " + std::to_string(opts.call_timeout.count()) + " ms";
      return;  // its objects stay alive: the detached thread may still use them
    }
  }
  // The loop no longer runs: the objects are ours again. Stop them (a second call is harmless).
  shutdown();
  if (tap) tap->finish();
}

modem::modem(options o) : impl_(std::make_unique<impl>(std::move(o))) { impl_->start(); }
modem::~modem() {
  if (!impl_) return;
  impl_->stop();
  const bool remove = impl_->own_dir && !impl_->keep;
  const auto dir = impl_->dir;
  if (impl_->detached) {
    (void)impl_.release();  // a stuck modem thread still uses it (see stop)
    return;
  }
  impl_.reset();
  std::error_code ignored;
  if (remove) fs::remove_all(dir, ignored);
}
modem::modem(modem&&) noexcept = default;
modem& modem::operator=(modem&& other) noexcept {
  if (this != &other) {
    modem old(std::move(*this));
    impl_ = std::move(other.impl_);
  }
  return *this;
}

const std::string& modem::pty_path() const { return impl_->pty; }
unsigned short modem::tcp_port() const { return impl_->port; }
const std::string& modem::line() const { return impl_->line; }
const std::string& modem::transcript_path() const { return impl_->transcript_file; }
const std::string& modem::trace_path() const { return impl_->trace_file; }
const std::string& modem::artifacts_dir() const { return impl_->dir; }
void modem::keep_artifacts(bool keep) { impl_->keep = keep; }

std::string modem::control(std::string_view request_json) {
  auto& m = *impl_;
  {
    std::lock_guard lock(m.mutex);
    if (m.stopped || m.thread_ended)
      return nlohmann::json{{"ok", false}, {"error", m.failure.empty() ? "the modem is not running" : m.failure}}
          .dump();
  }
  auto answer = std::make_shared<std::promise<std::string>>();
  auto future = answer->get_future();
  std::string request(request_json);
  net::post(m.ioc, [&m, request, answer] {
    control::handle_request_async(request, m.target, m.ioc.get_executor(), &*m.log, "library", m.stop_events,
                                  [answer](std::string a) { answer->set_value(std::move(a)); });
  });
  const auto deadline = std::chrono::steady_clock::now() + m.opts.call_timeout;
  while (future.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
    if (m.ended_future.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
      throw error(m.failure_or("the modem is not running"));
    if (std::chrono::steady_clock::now() > deadline)
      throw error("the modem did not answer within " + std::to_string(m.opts.call_timeout.count()) + " ms");
  }
  return future.get();
}

void modem::fire(std::string_view action) {
  // A bare name is the channel's short form {"fire": "reboot"}.
  std::string text(action);
  const auto first = text.find_first_not_of(" \t\r\n");
  const std::string value = first != std::string::npos && text[first] == '{' ? text : nlohmann::json(text).dump();
  auto answer = nlohmann::json::parse(control("{\"fire\": " + value + "}"), nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) throw error("the control channel gave no answer");
  if (answer.value("ok", false) != true) throw error(answer.value("error", std::string("the action was refused")));
}

std::string modem::state_json() { return control(R"({"query": "state"})"); }
std::string modem::metrics_json() { return control(R"({"query": "metrics"})"); }

std::string modem::transcript() const { return read_file(impl_->transcript_file); }

std::vector<std::string> modem::transcript_tail(std::size_t n) const {
  std::vector<std::string> lines;
  std::istringstream in(transcript());
  for (std::string l; std::getline(in, l);) lines.push_back(std::move(l));
  if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(n));
  return lines;
}

std::string modem::write_report(const std::string& path) {
  auto& m = *impl_;
  const std::string out = path.empty() ? m.dir + "/report.html" : path;
  // On the modem's thread: the recorder writes the trace there, so it is read whole.
  auto html = m.on_modem([&m]() -> std::string {
    auto loaded = trace::parse(read_file(m.trace_file), m.trace_file);
    if (auto* bad = std::get_if<trace::load_error>(&loaded)) return "!" + bad->message;
    return trace::render_report(std::get<trace::trace>(loaded), {"nt35e-sim session"});
  });
  if (html.starts_with("!")) throw error(html.substr(1));
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file << html;
  file.close();
  if (!file) throw error("cannot write the report to " + out + ": " + std::strerror(errno));
  return out;
}

bool modem::running() const {
  std::lock_guard lock(impl_->mutex);
  return !impl_->stopped && !impl_->thread_ended;
}

std::string modem::failure() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->failure;
}

void modem::stop() { impl_->stop(); }

}  // namespace nt35e::sdk
