// nt35e-sim: wiring only. Options → scenario → profile → backend → session →
// control channel → transport, then one io_context thread runs everything until a
// signal or the DTE ends it. With --fleet N, fleet::run builds N of those on a thread
// pool instead (simulator/fleet/).

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <unistd.h>

#include <filesystem>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "app/cli.hpp"
#include "app/import_command.hpp"
#include "app/options.hpp"
#include "app/report_command.hpp"
#include "app/trace_adapters.hpp"
#include "control/control_server.hpp"
#include "exporter/metrics_server.hpp"
#include "fleet/fleet.hpp"
#include "fleet/fleet_events.hpp"
#include "io/logger.hpp"
#include "io/oracle_watch.hpp"
#include "io/pty_transport.hpp"
#include "io/session.hpp"
#include "io/stdio_transport.hpp"
#include "io/tcp_transport.hpp"
#include "metrics/line_metrics.hpp"
#include "metrics/summary.hpp"
#include "modem/profile.hpp"
#include "mqtt/backend.hpp"

#include "mqtt/host_map.hpp"
#include "oracle/verdict.hpp"
#include "paho/paho_backend.hpp"
#include "scenario/apply.hpp"
#include "scenario/json_loader.hpp"
#include "scenario/scenario.hpp"
#include "scripted/loopback_backend.hpp"
#include "web/lesson.hpp"
#include "web/live_feed.hpp"
#include "web/web_server.hpp"

namespace net = boost::asio;
using namespace nt35e;

namespace {

/// After stdin ends: leave once output is written and nothing is due within this long...
constexpr std::chrono::milliseconds quiet_horizon{2500};
/// ...but never wait longer than this (the modem may always have something coming).
constexpr std::chrono::seconds linger_limit{10};

int usage_error(std::string sentence) {
  if (sentence.ends_with('.')) sentence.pop_back();
  std::fprintf(stderr, "nt35e-sim: %s (try --help)\n", sentence.c_str());
  return 2;
}

using io::print_now;

/// What a person types to reach a TCP line (loopback when listening on all addresses).
std::string connect_hint(const net::ip::tcp::endpoint& ep) {
  auto address = ep.address();
  if (address.is_unspecified())
    address = address.is_v6() ? net::ip::address(net::ip::address_v6::loopback())
                              : net::ip::address(net::ip::address_v4::loopback());
  std::string target = address.is_v6() ? "TCP6:[" + address.to_string() + "]:" : "TCP:" + address.to_string() + ":";
  return "connect with: socat -,rawer,escape=0x1d " + target + std::to_string(ep.port()) + "   (Ctrl-] quits)\n";
}

/// A delay as a person reads it: "1.5 s", "75 ms".
std::string human_delay(double ms) {
  char text[32];
  if (ms >= 1000)
    std::snprintf(text, sizeof text, "%g s", ms / 1000);
  else
    std::snprintf(text, sizeof text, "%g ms", ms);
  return text;
}

/// Printed with the ready line: a newcomer's first AT is otherwise lost in the boot,
/// which ignores input (§4.2), and the first AT+ECMTOPEN fails before registration.
std::string boot_note(const app::options& opts, const modem::profile& p) {
  if (opts.replay_file) return {};  // the trace's own boot plays
  const double boot = p.timing.boot * p.time_scale, registration = p.timing.registration * p.time_scale;
  if (boot <= 0 && registration <= 0) return {};
  return "the modem boots first: ECRDY after " + human_delay(boot) + " (input before it is ignored), registered " +
         human_delay(registration) +
         " later; --set timing.boot=0 --set timing.registration=0 skips that, --time-scale 0.05 makes every "
         "delay twenty times shorter\n";
}

/// Who may open the PTY: --pty-mode and --pty-group.
io::pty_access pty_access(const app::options& opts) {
  return io::pty_access{opts.pty_mode, opts.pty_group, opts.pty_group_name};
}

/// Prints every diagnostic of a scenario that did not load, one per line, on stderr.
void print_diagnostics(const std::vector<scenario::diagnostic>& diagnostics) {
  print_now(stderr, scenario::format(diagnostics));
}

/// The live broker when --live or the scenario asks for it (host mappings: the
/// scenario's, then --map-host's, which win), else the scenario's scripted broker.
std::unique_ptr<mqtt::backend> make_backend(const app::options& opts, const scenario::scenario& world,
                                            const modem::profile& profile, net::any_io_executor ex, io::logger& log,
                                            bool first = true) {
  if (opts.live || world.broker.live) {
    mqtt::host_map map;
    for (const auto& [from, to] : world.broker.map_host) {
      if (auto error = map.add(from + "=" + to); !error.empty())
        throw std::invalid_argument("scenario " + world.file + ": broker.map_host: " + error);
    }
    for (const auto& spec : opts.map_hosts) {
      if (auto error = map.add(spec); !error.empty()) throw std::invalid_argument(error);
    }
    if (first)
      for (const auto& e : map.entries()) log.log(io::log_level::debug, "host mapping " + mqtt::host_map::format(e));
    auto backend = std::make_unique<paho::paho_backend>(ex, std::move(map), profile.cert_dir, profile.show_secrets);
    // What the live link did (dial, CONNECT, refusals, failed operations) belongs in the
    // transcript: it says why a URC reported a failure.
    backend->set_log_sink(
        [&log](std::string_view line) { log.log(io::log_level::info, "paho: " + std::string(line)); });
    return backend;
  }
  if (first && !opts.map_hosts.empty()) log.log(io::log_level::warn, "--map-host has no effect without --live");
  return std::make_unique<scripted::loopback_backend>(ex, profile, world.broker);
}

/// AT+ECPING is simulated inside the core (modem/ping), which resolves names with the
/// world's host model: so the worlds learn what --live and --map-host say about the
/// network, as the backend does from the options. A --map-host that does not parse is
/// left to make_backend, which says why.
void fold_network_options(const app::options& opts, scenario::scenario& world) {
  auto fold = [&](scenario::scenario& w) {
    if (opts.live) w.broker.live = true;
    if (!w.broker.live) return;
    for (const auto& spec : opts.map_hosts) {
      const auto eq = spec.find('=');
      if (eq != std::string::npos && mqtt::host_map::parse_entry(spec))
        w.broker.map_host.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
    }
  };
  fold(world);
  for (auto& o : world.modems) {
    if (!o.world) continue;
    auto copy = std::make_shared<scenario::scenario>(*o.world);
    fold(*copy);
    o.world = std::move(copy);
  }
}

/// What nt35e_build_info shows: this program's version and the profile played.
exporter::build_info build_info(const modem::profile& profile) {
  auto version = app::version_line();  // "nt35e-sim 0.1.0"
  return {version.substr(version.find(' ') + 1), profile.name};
}

/// Whether the oracle watches the driver: for the verdict files, for --explain (learning:
/// a finding is what a newcomer most needs to see) and for the control channel's
/// "query": "verdict". Without any of them it costs nothing.
bool oracle_runs(const app::options& opts, const modem::profile& profile) {
  return opts.verdict.wanted() || !profile.explain.empty() || opts.control_endpoint.has_value() ||
         opts.web_endpoint.has_value();
}

/// The oracle's settings for a modem playing `world`: the scenario's first (checked when it
/// loaded), then the command line's; an error sentence or "".
std::string oracle_config(const app::options& opts, const scenario::scenario& world, oracle::config& c) {
  c = app::scenario_config(world.oracle);
  return app::command_line_config(opts.verdict, c);
}

/// Where a folder of data installed with the program is (`name`: "webview", "lessons"):
/// beside the program's prefix (PREFIX/share/nt35e-sim/NAME) when installed, else the
/// source tree's (the build tree's program); "" when neither exists.
std::string data_dir(std::string_view name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share" / "nt35e-sim" / name;
    if (fs::is_directory(installed, ec)) return installed.string();
  }
  const auto source = fs::path(NT35E_SOURCE_DIR) / name;
  if (fs::is_directory(source, ec)) return source.string();
  return {};
}

/// The web view's settings from the options (--web given); an error sentence or "".
std::string web_settings_of(const app::options& opts, web::web_settings& ws) {
  ws.where = *opts.web_endpoint;
  ws.root = opts.web_root.value_or(data_dir("webview"));
  if (ws.root.empty()) return "--web: the page's files are not installed; give --web-root DIR";
  ws.token = opts.control_token;
  ws.watch_token = opts.web_watch_token;
  ws.console = opts.web_console;
  return {};
}

/// One modem (global index 0) playing `world`; `fleet_events` (the scenario's) play on it
/// as on a fleet of one, their times scaled by `fleet_time_scale`.
int run(const app::options& opts, const scenario::scenario& world, const modem::profile& profile,
        const std::string& override_path, const std::vector<scenario::fleet_event>& fleet_events,
        double fleet_time_scale) {
  net::io_context ioc(1);
  auto ex = ioc.get_executor();

  const bool stdio = opts.transport == app::transport_kind::stdio;
  io::logger log(opts.log_level.value_or(stdio ? io::log_level::warn : io::log_level::info));
  log.set_show_secrets(profile.show_secrets);

  std::unique_ptr<mqtt::backend> backend;
  try {
    backend = make_backend(opts, world, profile, ex, log);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  io::session session(ex, profile, backend.get(), log, world);
  metrics::line_metrics metrics;  // latency histograms for the control channel and the exit summary
  // One time zero for the live verdict and the recording, so that `report --verdict` on the
  // trace gives the same times to the microsecond (two clocks read apart differed by ~1 ms).
  const auto origin = modem::clock::now();
  // The verdict on the driver (docs/oracle.md): for the verdict files, for --explain (each
  // finding as it is found) and for the control channel's "query": "verdict".
  std::unique_ptr<io::oracle_watch> judge;
  if (oracle_runs(opts, profile)) {
    io::oracle_watch::settings s{{}, opts.verdict.fail, profile.name, profile.explain, world.expect};
    if (auto why = oracle_config(opts, world, s.rules); !why.empty()) return usage_error(why);
    judge = std::make_unique<io::oracle_watch>(ex, std::move(s), origin, &metrics, log);
    session.set_observer(judge.get());
  } else {
    session.set_observer(&metrics);
  }
  // What the control channel and the fleet events drive: this session, its metrics, its verdict.
  auto make_target = [&] {
    auto t = control::for_session(session, profile.max_ecmt_id, &metrics);
    if (judge) t.verdict = [w = judge.get()] { return w->verdict(); };
    return t;
  };

  std::unique_ptr<app::trace_tap> recording;
  if (opts.record_file || opts.pcap_file) {
    try {
      recording = std::make_unique<app::trace_tap>(opts, profile, world, origin);
    } catch (const std::exception& e) {
      return usage_error(e.what());
    }
    session.set_tap(recording.get());
  }
  if (opts.replay_file) {
    auto source = app::make_replay_source(*opts.replay_file, opts, profile);
    if (auto* error = std::get_if<std::string>(&source)) {
      print_now(stderr, "nt35e-sim: " + *error + "\n");
      return 2;
    }
    session.set_answer_source(std::move(std::get<std::unique_ptr<io::answer_source>>(source)));
  }
  if (!world.file.empty())
    log.log(io::log_level::debug,
            "scenario " + world.file + (world.name.empty() ? "" : " (" + world.name + ")") + ": " +
                std::to_string(world.rules.size()) + " rules" +
                (override_path.empty() ? "" : "; this modem (index 0) plays its override " + override_path));

  // The control channel runs on the modem's executor and calls the session directly.
  std::unique_ptr<control::control_server> control;
  if (opts.control_endpoint) {
    control = std::make_unique<control::control_server>(ex, *opts.control_endpoint, make_target(), log);
    if (opts.control_token) control->require_token(*opts.control_token);
    if (opts.control_line_timeout) control->set_line_timeout(*opts.control_line_timeout);
    try {
      control->start();
    } catch (const io::startup_error& e) {
      print_now(stderr, std::string("nt35e-sim: ") + e.what() + "\n");
      return 1;
    }
  }

  // The scenario's fleet events, on a fleet of this one modem (index 0).
  auto one = std::make_shared<control::fleet_target>();
  one->modems.push_back(control::modem_entry{ex, make_target(), 0, profile.imei, {}});
  fleet::event_scheduler events(net::make_strand(ioc), one, fleet_events, fleet_time_scale, log);

  // The Prometheus endpoint reads the modem as the control channel does, on its executor.
  std::unique_ptr<exporter::metrics_server> metrics_endpoint;
  if (opts.metrics_endpoint) {
    metrics_endpoint =
        std::make_unique<exporter::metrics_server>(ex, *opts.metrics_endpoint, one, build_info(profile), log);
    if (opts.metrics_token) metrics_endpoint->require_token(*opts.metrics_token);
    try {
      metrics_endpoint->start();
    } catch (const io::startup_error& e) {
      print_now(stderr, std::string("nt35e-sim: ") + e.what() + "\n");
      return 1;
    }
  }

  // The web view: a feed on the session (before the recording, which it passes every call
  // on to) and its server on a thread of its own.
  std::unique_ptr<web::live_feed> feed;
  std::unique_ptr<web::web_server> web_view;
  std::vector<web::lesson> lessons;
  std::optional<web::lesson_tracker> tracker;
  if (opts.web_endpoint) {
    web::live_feed::settings fs;
    fs.style = profile.style;
    fs.origin = origin;
    fs.imei = profile.imei;
    fs.header = trace::header{profile.name, "", {}, world.oracle, world.expect};
    fs.redact.passwords = !profile.show_secrets;
    feed = std::make_unique<web::live_feed>(ex, std::move(fs), recording.get());
    session.set_tap(feed.get());
    std::function<oracle::verdict()> verdict;
    if (judge) verdict = [w = judge.get()] { return w->verdict(); };
    feed->set_sources([&session] { return session.snapshot(); }, std::move(verdict));
    web::web_settings ws;
    if (auto why = web_settings_of(opts, ws); !why.empty()) return usage_error(why);
    // The lessons: the page lists them; --lesson starts one, the instructor's page another
    // that plays the same scenario.
    std::vector<std::string> lesson_errors;
    lessons = web::load_lessons(data_dir("lessons"), lesson_errors);
    for (const auto& e : lesson_errors) log.log(io::log_level::warn, "lesson left out: " + e);
    ws.lessons_json = web::lessons_json(lessons);
    ws.hello_extra = "{\"lessons\":" + ws.lessons_json + "}";
    auto start_lesson = [&, played = world.file](const std::string& name, bool chosen = false) -> std::string {
      const auto it = std::find_if(lessons.begin(), lessons.end(), [&](const auto& l) { return l.name == name; });
      if (it == lessons.end()) return "there is no lesson \"" + name.substr(0, 64) + "\"";
      const auto wants = it->scenario.empty() ? std::string() : data_dir("scenarios") + "/" + it->scenario;
      if (!chosen && wants != played)
        return "lesson " + name + " plays another scenario (" + (it->scenario.empty() ? "the default" : it->scenario) +
               "): start it with nt35e-sim --lesson " + name;
      for (const auto& x : it->expect)
        if (std::none_of(world.expect.begin(), world.expect.end(), [&](const auto& e) { return e.name == x; }))
          return "lesson " + name + " expects \"" + x + "\", which its scenario does not state";
      tracker.emplace(*it);
      feed->set_sticky("lesson", tracker->message());
      log.log(io::log_level::info, "lesson " + name + " started");
      return {};
    };
    // Every change of the lesson goes to the page; the scenario's expectations are judged
    // after each line and on each tick (a deadline passes with no line).
    auto lesson_changed = [&](auto&& change) {
      if (!tracker) return;
      const auto before = tracker->message();
      change();
      if (judge && !tracker->current().expect.empty()) {
        const auto v = judge->verdict();
        if (!v.modems.empty()) tracker->on_expectations(v.modems.front().expectations);
      }
      if (auto now = tracker->message(); now != before) {
        if (tracker->passed()) log.log(io::log_level::info, "lesson " + tracker->current().name + " passed");
        if (tracker->failed()) log.log(io::log_level::info, "lesson " + tracker->current().name + " not passed");
        feed->set_sticky("lesson", std::move(now));
      }
    };
    feed->set_line_listener(
        [&, lesson_changed](web::side from, std::string_view text, web::line_kind kind, modem::time_point) {
          lesson_changed([&] { tracker->on_line(from, text, kind); });
        });
    feed->set_finding_listener(
        [&, lesson_changed](const oracle::finding& f) { lesson_changed([&] { tracker->on_finding(f); }); });
    feed->set_tick_listener([lesson_changed] { lesson_changed([] {}); });
    if (opts.lesson)
      if (auto why = start_lesson(*opts.lesson, true); !why.empty())
        return usage_error("--lesson " + *opts.lesson + ": " + why);
    web::modem_port port;
    port.start_lesson = [start_lesson](const std::string& name) { return start_lesson(name); };
    port.ex = ex;
    port.feed = feed.get();
    port.type = [&session](std::string_view bytes) { session.receive(bytes); };
    port.driver_attached = [&session] { return session.attached(); };
    web_view =
        std::make_unique<web::web_server>(std::move(ws), std::vector<web::modem_port>{std::move(port)}, one, log);
    try {
      web_view->start();
    } catch (const io::startup_error& e) {
      print_now(stderr, std::string("nt35e-sim: ") + e.what() + "\n");
      return 1;
    }
  }

  std::unique_ptr<io::transport> transport;
  net::steady_timer linger(ex);
  auto shutdown = [&] {
    linger.cancel();
    // The web server first (it posts to the modem), then the feed (it posts to the server).
    if (web_view) web_view->stop();
    if (feed) {
      feed->stop();
      feed->set_line_listener({});
      feed->set_finding_listener({});
      session.set_tap(recording.get());  // the feed goes before the session does
    }
    events.stop();
    if (judge) judge->stop();
    if (control) control->stop();
    if (metrics_endpoint) metrics_endpoint->stop();
    if (transport) transport->stop();
    session.stop();
    // Backends may hold work (Paho callbacks, reconnect timers); leave anyway.
    ioc.stop();
  };

  switch (opts.transport) {
    case app::transport_kind::pty:
      transport = std::make_unique<io::pty_transport>(ex, opts.pty_link, log, pty_access(opts));
      break;
    case app::transport_kind::tcp:
      transport = std::make_unique<io::tcp_transport>(ex, opts.tcp_endpoint, log);
      break;
    case app::transport_kind::stdio:
      transport = std::make_unique<io::stdio_transport>(ex, log, [&](io::stdio_transport::end_reason why) {
        if (why != io::stdio_transport::end_reason::input_closed) return shutdown();
        // A piped script ended: let the answers still due come out first.
        session.when_quiet(quiet_horizon, shutdown);
        linger.expires_after(linger_limit);
        linger.async_wait([&](const boost::system::error_code& ec) {
          if (!ec) shutdown();
        });
      });
      break;
  }

  net::signal_set signals(ioc, SIGINT, SIGTERM, SIGHUP);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log.log(io::log_level::info, std::string("signal ") +
                                     (signo == SIGINT    ? "SIGINT"
                                      : signo == SIGTERM ? "SIGTERM"
                                                         : "SIGHUP") +
                                     ": stopping");
    shutdown();
  });

  try {
    transport->start(session);
  } catch (const io::startup_error& e) {
    print_now(stderr, std::string("nt35e-sim: ") + e.what() + "\n");
    return e.exit_status;
  }

  // Before the ready line: a test reads up to "ready:" and must know the port by then.
  if (control) {
    const auto& ep = control->local_endpoint();
    // With --stdio, stdout is the AT line, so this goes to stderr like the ready line.
    print_now(opts.transport == app::transport_kind::stdio ? stderr : stdout, "control: " + io::to_string(ep) + "\n");
  }
  if (metrics_endpoint)
    print_now(opts.transport == app::transport_kind::stdio ? stderr : stdout,
              "metrics: " + io::to_string(metrics_endpoint->local_endpoint()) + "\n");
  if (web_view)
    print_now(opts.transport == app::transport_kind::stdio ? stderr : stdout,
              "web: http://" + io::to_string(web_view->local_endpoint()) + "/\n");

  switch (opts.transport) {
    case app::transport_kind::pty: {
      const auto& link = static_cast<io::pty_transport&>(*transport).link_path();
      print_now(stdout, "ready: " + transport->ready_text() + "\n" + "connect with: picocom -b 115200 --omap delbs " +
                            link + "   (Enter sends CR; quit with C-a C-x)" + "   or: tio --map ODELBS " + link +
                            "   (quit with C-t q)\n" + boot_note(opts, profile));
      break;
    }
    case app::transport_kind::tcp:
      print_now(stdout, "ready: " + transport->ready_text() + "\n" +
                            connect_hint(static_cast<io::tcp_transport&>(*transport).local_endpoint()) +
                            boot_note(opts, profile));
      break;
    case app::transport_kind::stdio: {
      // stdout is the AT line here, so the ready line goes to stderr.
      const bool interactive = static_cast<io::stdio_transport&>(*transport).interactive();
      const char* eol = interactive && ::isatty(STDERR_FILENO) ? "\r\n" : "\n";
      std::string text = "ready: stdio" + std::string(eol);
      if (interactive) {
        text += "nt35e-sim: you are the DTE: type AT commands (Enter sends CR, the module echoes); Ctrl-] quits" +
                std::string(eol);
        if (auto note = boot_note(opts, profile); !note.empty()) text += note.substr(0, note.size() - 1) + eol;
      }
      print_now(stderr, text);
      break;
    }
  }

  // Power on only now, so the boot banner's 1.5 s count from the ready line; the fleet
  // events count from the same moment.
  session.start();
  events.start();
  if (judge) judge->start();
  if (feed) feed->start();
  ioc.run();

  auto summary = metrics.collect(session.snapshot(), session.attached());
  // The end of the session is an event of its own in the recording, so the verdict on the
  // trace after the fact sees the same deadlines pass as the live one.
  const auto ended = std::chrono::steady_clock::now();
  if (recording) recording->note(modem::log_record{modem::log_level::info, "session.end", "the session ended"}, ended);
  shutdown();
  log.log(io::log_level::info, "stopped");
  if (log.enabled(io::log_level::warn)) print_now(stderr, metrics::format_summary(summary, false));
  // --explain and --control alone leave the exit status alone: the files decide it.
  if (!judge || !opts.verdict.wanted()) return 0;
  return app::finish_verdict(opts.verdict, judge->verdict(ended));
}

/// The profiles of the worlds a scenario's modems play: [0] the scenario's own, [k + 1]
/// its override k's.
struct world_profiles {
  std::vector<modem::profile> profiles;
  const modem::profile& of(const scenario::scenario& s, const scenario::modem_override* o) const {
    return profiles[o ? 1 + static_cast<std::size_t>(o - s.modems.data()) : 0];
  }
};

int run_fleet(const app::options& opts, const scenario::scenario& world, const world_profiles& profiles) {
  fleet::config c;
  c.size = *opts.fleet;
  c.offset = opts.fleet_offset;
  c.threads = opts.threads.value_or(0);
  c.line = opts.transport == app::transport_kind::tcp ? fleet::line_kind::tcp : fleet::line_kind::pty;
  c.pty_prefix = opts.pty_link;
  c.pty = pty_access(opts);
  c.tcp_base = opts.tcp_endpoint;
  c.control = opts.control_endpoint;
  c.control_token = opts.control_token;
  c.control_line_timeout = opts.control_line_timeout;
  c.metrics = opts.metrics_endpoint;
  c.metrics_token = opts.metrics_token;
  c.build = build_info(profiles.profiles[0]);
  if (opts.web_endpoint) {
    web::web_settings ws;
    if (auto why = web_settings_of(opts, ws); !why.empty()) return usage_error(why);
    c.web = std::move(ws);
  }
  // A thousand transcripts at info would drown everything else: warn unless asked.
  c.log_level = opts.log_level.value_or(io::log_level::warn);
  c.live = opts.live || world.broker.live ||
           std::any_of(world.modems.begin(), world.modems.end(), [](const auto& o) { return o.world->broker.live; });
  if (oracle_runs(opts, profiles.profiles[0])) {
    // The command line's settings are checked once here (a scenario's when it loaded).
    oracle::config probe;
    if (auto why = oracle_config(opts, world, probe); !why.empty()) return usage_error(why);
    c.oracle = [&opts](const scenario::scenario& played) {
      oracle::config rules;
      oracle_config(opts, played, rules);
      return rules;
    };
    c.verdict_fail = opts.verdict.fail;
  }
  bool first = true;
  oracle::verdict verdict;
  const int status = fleet::run(
      c, world, [&](const scenario::modem_override* o) -> const modem::profile& { return profiles.of(world, o); },
      [&](const modem::profile& p, const scenario::scenario& played, net::any_io_executor ex, io::logger& log) {
        return make_backend(opts, played, p, std::move(ex), log, std::exchange(first, false));
      },
      &verdict);
  // As for one modem: the verdict files (one suite per modem) decide the exit status.
  if (status != 0 || !opts.verdict.wanted()) return status;
  return app::finish_verdict(opts.verdict, verdict);
}

}  // namespace

int main(int argc, char** argv) {
  // A DTE that vanishes mid-write must give EPIPE, not kill us.
  std::signal(SIGPIPE, SIG_IGN);

  // nt35e-sim's own options, and the trace tools as subcommands (also reachable as
  // tools/nt35e-import and tools/nt35e-report).
  CLI::App cli("", "nt35e-sim");
  app::option_parser sim(cli);
  app::import_request import;
  auto* import_command = app::add_import_command(cli, import);
  app::report_request report;
  auto* report_command = app::add_report_command(cli, report);
  if (auto status = app::parse_command_line(cli, std::vector<std::string>(argv + 1, argv + argc))) return *status;
  if (import_command->parsed()) return app::run_import(import);
  if (report_command->parsed()) return app::run_report(report);
  const auto& opts = sim.result();

  if (opts.check_scenario_file) {
    const auto& file = *opts.check_scenario_file;
    auto loaded = scenario::load_file(file);
    if (auto* bad = std::get_if<std::vector<scenario::diagnostic>>(&loaded)) {
      print_diagnostics(*bad);
      return 2;
    }
    const auto& world = std::get<scenario::scenario>(loaded);
    // The profile part is checked too: a scenario that loads but cannot start is not "ok".
    modem::profile profile;
    if (auto error = scenario::apply(world, profile); !error.empty()) {
      print_now(stderr, file + ": " + error + "\n");
      return 2;
    }
    for (const auto& o : world.modems)
      if (auto error = scenario::apply(*o.world, profile); !error.empty()) {
        print_now(stderr, file + ": " + o.path + ": " + error + "\n");
        return 2;
      }
    const auto n = world.rules.size(), m = world.modems.size(), e = world.fleet_events.size();
    print_now(stdout, "ok: " + file + ": " + (world.name.empty() ? std::string("(no name)") : world.name) + " (" +
                          std::to_string(n) + (n == 1 ? " rule" : " rules") +
                          (m == 0 ? "" : ", " + std::to_string(m) + (m == 1 ? " modem override" : " modem overrides")) +
                          (e == 0 ? "" : ", " + std::to_string(e) + (e == 1 ? " fleet event" : " fleet events")) +
                          ")\n");
    return 0;
  }

  // --lesson NAME plays its lesson's scenario (unless --scenario names one).
  auto scenario_file = opts.scenario_file;
  if (opts.lesson) {
    const auto dir = data_dir("lessons");
    auto loaded = web::load_lesson(dir + "/" + *opts.lesson + ".json");
    if (auto* why = std::get_if<std::string>(&loaded)) {
      std::vector<std::string> errors;
      std::string names;
      for (const auto& l : web::load_lessons(dir, errors)) names += (names.empty() ? "" : ", ") + l.name;
      return usage_error("--lesson " + *opts.lesson + ": no such lesson (" + *why + "); the lessons are: " + names);
    }
    const auto& l = std::get<web::lesson>(loaded);
    if (!scenario_file && !l.scenario.empty()) scenario_file = data_dir("scenarios") + "/" + l.scenario;
  }
  scenario::scenario world;  // no --scenario: a standard scripted broker, no rules
  if (scenario_file) {
    auto loaded = scenario::load_file(*scenario_file);
    if (auto* bad = std::get_if<std::vector<scenario::diagnostic>>(&loaded)) {
      print_diagnostics(*bad);
      return 2;
    }
    world = std::move(std::get<scenario::scenario>(loaded));
    if (world.file.empty()) world.file = *scenario_file;
  }

  fold_network_options(opts, world);

  // One profile per world the modems play (the scenario's, each override's), built once.
  world_profiles profiles;
  profiles.profiles.resize(1 + world.modems.size());
  if (auto error = app::build_profile(opts, world, profiles.profiles[0]); !error.empty()) return usage_error(error);
  for (std::size_t k = 0; k < world.modems.size(); ++k)
    if (auto error = app::build_profile(opts, world.modems[k], profiles.profiles[k + 1]); !error.empty())
      return usage_error(error);

  try {
    if (opts.fleet) return run_fleet(opts, world, profiles);
    // A single modem has the global index 0, as the first of --fleet 1.
    const auto* o = world.override_for(0);
    return run(opts, world.world_for(0), profiles.of(world, o), o ? o->path : std::string(), world.fleet_events,
               profiles.profiles[0].time_scale);
  } catch (const std::exception& e) {
    print_now(stderr, std::string("nt35e-sim: ") + e.what() + "\n");
    return 1;
  }
}
