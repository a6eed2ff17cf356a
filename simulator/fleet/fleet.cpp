#include "fleet/fleet.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>

#include "control/control_server.hpp"
#include "control/target.hpp"
#include "exporter/metrics_server.hpp"
#include "fleet/fleet_events.hpp"
#include "io/fair_scheduler.hpp"
#include "io/oracle_watch.hpp"
#include "io/pty_transport.hpp"
#include "io/session.hpp"
#include "io/tcp_transport.hpp"
#include "metrics/line_metrics.hpp"
#include "metrics/summary.hpp"
#include "modem/fleet_identity.hpp"

namespace nt35e::fleet {

namespace net = boost::asio;
using net::ip::tcp;

namespace {

using io::print_now;

int fail(const std::string& sentence, int status) {
  print_now(stderr, "nt35e-sim: " + sentence + "\n");
  return status;
}

/// Everything one modem of the fleet owns. Members are declared so that the transport
/// (which calls the session) goes first, then the session, then its backend.
struct modem_unit {
  modem_unit(io::fair_scheduler& lanes, std::size_t position, std::uint64_t index, io::log_level level)
      : position(position), index(index), strand(lanes.make_lane()), log(level) {}

  std::size_t position;
  std::uint64_t index;
  net::any_io_executor strand;  ///< its lane of the fleet's scheduler: one handler at a time
  io::logger log;
  std::shared_ptr<const modem::profile> profile;  ///< with its identity; shared with its session
  std::unique_ptr<mqtt::backend> backend;
  std::unique_ptr<io::session> session;
  metrics::line_metrics metrics;
  std::unique_ptr<io::oracle_watch> judge;  ///< the oracle on its driver (config::oracle); feeds `metrics`
  std::unique_ptr<web::live_feed> feed;     ///< the web view's source (config::web)
  std::unique_ptr<io::transport> transport;
  std::string line;    ///< as the transport's ready text ("tcp 127.0.0.1:5003")
  std::string played;  ///< the scenario override it plays ("/modems/2"), or empty
};

std::string pty_link(const config& c, std::size_t i) { return c.pty_prefix + std::to_string(i); }

tcp::endpoint tcp_endpoint(const config& c, std::size_t i) {
  return tcp::endpoint(c.tcp_base.address(), static_cast<unsigned short>(c.tcp_base.port() + i));
}

std::string mib(std::uint64_t kib) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(kib) / 1024.0);
  return buf;
}

}  // namespace

unsigned pool_size(unsigned requested) {
  if (requested > 0) return requested;
  return std::max(2u, std::thread::hardware_concurrency());
}

std::string ready_line(const config& c) {
  const std::string n = std::to_string(c.size);
  if (c.line == line_kind::pty) return "ready: fleet " + n + " pty " + pty_link(c, 0) + ".." + pty_link(c, c.size - 1);
  return "ready: fleet " + n + " tcp " + io::to_string(tcp_endpoint(c, 0)) + ".." +
         std::to_string(tcp_endpoint(c, c.size - 1).port());
}

std::vector<std::string> idle_selection_warnings(const config& c, const scenario::scenario& s) {
  std::vector<std::string> out;
  if (c.size == 0) return out;
  const std::uint64_t last = c.offset + c.size - 1;
  const std::string none =
      " selects no modem of this fleet (indices " + std::to_string(c.offset) + ".." + std::to_string(last) + ")";
  for (const auto& o : s.modems)
    if (!o.selects_any(c.offset, last)) out.push_back("scenario override " + o.path + none);
  for (std::size_t i = 0; i < s.fleet_events.size(); ++i) {
    const auto& e = s.fleet_events[i];
    if (!e.select.empty() && !scenario::selects_any(e.select, c.offset, last))
      out.push_back("scenario fleet event /fleet_events/" + std::to_string(i) + none);
  }
  return out;
}

int run(const config& c, const scenario::scenario& s, const profile_source& profile_for,
        const backend_factory& make_backend, oracle::verdict* verdict) {
  const auto started = std::chrono::steady_clock::now();
  const auto rss_before = resident_kib();  // the process without modems: code, libraries, the main thread
  const unsigned threads = pool_size(c.threads);

  // ---- open files ---------------------------------------------------------------------
  const auto limit = raise_file_limit();
  auto need = files_needed(c.size, c.line, c.live);
  if (limit.soft > 0 && files_to_start(c.size, c.line) > limit.soft)
    return fail(std::to_string(c.size) + " modems cannot even open their lines with " + std::to_string(limit.soft) +
                    " open files (the hard limit is " + std::to_string(limit.hard) +
                    "); raise it (ulimit -Hn, or LimitNOFILE= for a service) or run fewer modems",
                2);
  // Short of files, a TCP line gives up its listener while its DTE is connected: one
  // file per line instead of two (10,000 modems in about 10,000 files rather than 20,000).
  const bool close_ports = c.line == line_kind::tcp && limit.soft > 0 && need > limit.soft;
  if (close_ports) {
    const auto fewer = files_needed(c.size, c.line, c.live, /*tcp_port_closed_while_connected=*/true);
    print_now(stderr, "nt35e-sim: note: " + std::to_string(c.size) + " modems need about " + std::to_string(need) +
                          " open files and the limit is " + std::to_string(limit.soft) +
                          ", so each modem's port stops listening while its DTE is connected (about " +
                          std::to_string(fewer) +
                          " files): a second client is refused by the system instead of being told busy\n");
    need = fewer;
  }
  if (limit.soft > 0 && need > limit.soft)
    print_now(stderr, "nt35e-sim: warning: " + std::to_string(c.size) + " modems need about " + std::to_string(need) +
                          " open files" + (c.live ? " with one MQTT connection each" : "") + "; the limit is " +
                          std::to_string(limit.soft) +
                          " (raise it with ulimit -n); lines or connections past it will fail\n");

  for (const auto& w : idle_selection_warnings(c, s)) print_now(stderr, "nt35e-sim: warning: " + w + "\n");
  // The sessions share their world, read-only: the scenario's (without the overrides and
  // fleet events, of no use to a session), or the world of the override that selects them.
  auto plain_copy = std::make_shared<scenario::scenario>(s);
  plain_copy->modems.clear();
  plain_copy->fleet_events.clear();
  const std::shared_ptr<const scenario::scenario> plain = std::move(plain_copy);

  net::io_context ioc(static_cast<int>(threads));
  // Each modem a lane; DTE work ahead of MQTT work, quiet lines first (io/fair_scheduler.hpp).
  io::fair_scheduler lanes(ioc, threads);
  io::logger fleet_log(c.log_level);
  fleet_log.log(io::log_level::debug, "open files: limit " + std::to_string(limit.soft) +
                                          (limit.raised ? " (raised from " + std::to_string(limit.before) + ")" : "") +
                                          ", about " + std::to_string(need) + " needed; " + std::to_string(threads) +
                                          " threads");

  // ---- the modems -------------------------------------------------------------------
  std::vector<std::unique_ptr<modem_unit>> units;
  units.reserve(c.size);
  for (std::size_t i = 0; i < c.size; ++i) {
    const std::uint64_t index = c.offset + i;
    const auto* o = s.override_for(index);
    const auto world_shared = o && o->world ? o->world : plain;
    const auto& world = *world_shared;
    auto u = std::make_unique<modem_unit>(lanes, i, index, c.log_level);
    u->played = o ? o->path : "";
    auto profile = std::make_shared<modem::profile>(profile_for(o));
    u->profile = profile;
    u->log.set_show_secrets(profile->show_secrets);
    u->log.set_prefix("modem " + std::to_string(i) + ": ");  // the line's number: PREFIXi, port BASE+i
    if (!modem::apply_fleet_identity(*profile, index))
      return fail("modem " + std::to_string(i) + " would have index " + std::to_string(index) + ", above " +
                      std::to_string(modem::max_fleet_index) +
                      ", the highest with an identity of its own; lower --fleet-offset or --fleet",
                  2);
    try {
      u->backend = make_backend(*u->profile, world, u->strand, u->log);
    } catch (const std::invalid_argument& e) {
      std::string sentence = e.what();
      if (sentence.ends_with('.')) sentence.pop_back();
      return fail(sentence + " (try --help)", 2);
    }
    u->session = std::make_unique<io::session>(u->strand, u->profile, u->backend.get(), u->log, world_shared);
    if (c.oracle) {
      io::oracle_watch::settings judged{c.oracle(world), c.verdict_fail, "modem " + std::to_string(i),
                                        u->profile->explain, world.expect};
      u->judge =
          std::make_unique<io::oracle_watch>(u->strand, std::move(judged), modem::clock::now(), &u->metrics, u->log);
      u->session->set_observer(u->judge.get());
    } else {
      u->session->set_observer(&u->metrics);
    }
    if (c.web) {
      web::live_feed::settings fs;
      fs.style = u->profile->style;
      fs.origin = modem::clock::now();
      fs.imei = u->profile->imei;
      fs.header = trace::header{u->profile->name, "", {}, world.oracle, world.expect};
      fs.redact.passwords = !u->profile->show_secrets;
      fs.history = 500;  // a thousand modems: a short history each
      fs.trace_limit = c.web_trace_limit;
      u->feed = std::make_unique<web::live_feed>(u->strand, std::move(fs), nullptr);
      u->session->set_tap(u->feed.get());
      std::function<oracle::verdict()> verdict;
      if (u->judge) verdict = [w = u->judge.get()] { return w->verdict(); };
      u->feed->set_sources([s = u->session.get()] { return s->snapshot(); }, std::move(verdict));
    }
    if (c.line == line_kind::pty)
      u->transport = std::make_unique<io::pty_transport>(u->strand, pty_link(c, i), u->log, c.pty);
    else {
      auto line = std::make_unique<io::tcp_transport>(u->strand, tcp_endpoint(c, i), u->log);
      line->listen_while_connected(!close_ports);
      u->transport = std::move(line);
    }
    units.push_back(std::move(u));
  }

  // Tear-down for every way out, on this thread once no pool thread runs.
  std::unique_ptr<control::control_server> control;
  std::unique_ptr<exporter::metrics_server> metrics_endpoint;
  std::unique_ptr<event_scheduler> events;
  std::unique_ptr<web::web_server> web_view;
  auto stop_all = [&] {
    if (web_view) web_view->stop();
    for (auto& u : units)
      if (u->feed) {
        u->feed->stop();
        u->session->set_tap(nullptr);  // the feed may go before the session
      }
    if (events) events->stop();
    if (control) control->stop();
    if (metrics_endpoint) metrics_endpoint->stop();
    for (auto& u : units) {
      if (u->judge) u->judge->stop();
      u->transport->stop();
      u->session->stop();
    }
  };

  // ---- the lines --------------------------------------------------------------------
  for (auto& u : units) {
    try {
      u->transport->start(*u->session);
    } catch (const io::startup_error& e) {
      stop_all();
      std::string what = e.what();
      return fail("modem " + std::to_string(u->position) + ": " + what, e.exit_status);
    }
    u->line = u->transport->ready_text();
    fleet_log.log(io::log_level::debug, "modem " + std::to_string(u->position) + ": index " + std::to_string(u->index) +
                                            ", IMEI " + u->profile->imei + ", " + u->line +
                                            (u->played.empty() ? "" : ", scenario override " + u->played));
  }

  // ---- the control channel -------------------------------------------------------------
  // What the control channel and the fleet events drive: each modem through its strand.
  auto target = std::make_shared<control::fleet_target>();
  target->fleet = true;
  target->offset = c.offset;
  target->threads = threads;
  target->modems.reserve(units.size());
  for (auto& u : units) {
    auto t = control::for_session(*u->session, u->profile->max_ecmt_id, &u->metrics);
    if (u->judge) t.verdict = [w = u->judge.get()] { return w->verdict(); };
    target->modems.push_back(control::modem_entry{u->strand, std::move(t), u->index, u->profile->imei, u->line});
  }
  // The fleet's own strand: the control channel and the fleet events, which log through
  // fleet_log, run there and reach a modem only by posting to its strand.
  const auto fleet_strand = net::make_strand(ioc);
  // `at` and `stagger` are simulated times, scaled as the scenario's own (not an override's).
  events = std::make_unique<event_scheduler>(fleet_strand, target, s.fleet_events, profile_for(nullptr).time_scale,
                                             fleet_log);

  if (c.control) {
    control = std::make_unique<control::control_server>(fleet_strand, *c.control, *target, fleet_log);
    if (c.control_token) control->require_token(*c.control_token);
    if (c.control_line_timeout) control->set_line_timeout(*c.control_line_timeout);
    try {
      control->start();
    } catch (const io::startup_error& e) {
      control.reset();
      stop_all();
      return fail(e.what(), 1);
    }
    print_now(stdout, "control: " + io::to_string(control->local_endpoint()) + "\n");
  }
  // The Prometheus endpoint, on the same strand: it gathers the modems as the control channel does.
  if (c.metrics) {
    metrics_endpoint = std::make_unique<exporter::metrics_server>(fleet_strand, *c.metrics, target, c.build, fleet_log);
    if (c.metrics_token) metrics_endpoint->require_token(*c.metrics_token);
    try {
      metrics_endpoint->start();
    } catch (const io::startup_error& e) {
      metrics_endpoint.reset();
      stop_all();
      return fail(e.what(), 1);
    }
    print_now(stdout, "metrics: " + io::to_string(metrics_endpoint->local_endpoint()) + "\n");
  }

  // The web view: its own thread, reaching each modem through the modem's strand.
  if (c.web) {
    std::vector<web::modem_port> ports;
    for (auto& u : units) {
      web::modem_port p;
      p.ex = u->strand;
      p.feed = u->feed.get();
      p.type = [s = u->session.get()](std::string_view bytes) { s->receive(bytes); };
      p.driver_attached = [s = u->session.get()] { return s->attached(); };
      ports.push_back(std::move(p));
    }
    web_view = std::make_unique<web::web_server>(*c.web, std::move(ports), target, fleet_log);
    try {
      web_view->start();
    } catch (const io::startup_error& e) {
      web_view.reset();
      stop_all();
      return fail(e.what(), 1);
    }
    print_now(stdout, "web: http://" + io::to_string(web_view->local_endpoint()) + "/fleet\n");
  }

  std::string hint;
  if (c.line == line_kind::pty)
    hint = "connect with: picocom -b 115200 --omap delbs " + pty_link(c, 0) + "   (modem i: " + c.pty_prefix + "i)\n";
  else {
    auto ep = tcp_endpoint(c, 0);
    auto address = ep.address();
    if (address.is_unspecified())
      address = address.is_v6() ? net::ip::address(net::ip::address_v6::loopback())
                                : net::ip::address(net::ip::address_v4::loopback());
    hint = "connect with: socat -,rawer,escape=0x1d " +
           std::string(address.is_v6() ? "TCP6:[" + address.to_string() + "]:" : "TCP:" + address.to_string() + ":") +
           std::to_string(ep.port()) + "   (modem i: port " + std::to_string(ep.port()) + "+i; Ctrl-] quits)\n";
  }
  print_now(stdout, ready_line(c) + "\n" + hint);

  // Power on only now, so every banner counts from the ready line; the fleet events
  // count from the same moment.
  for (auto& u : units) {
    u->session->start();
    if (u->judge) u->judge->start();
    if (u->feed) u->feed->start();
  }
  events->start();

  const auto ready_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  const auto rss = resident_kib();
  if (c.log_level <= io::log_level::warn) {
    char buf[300];
    std::snprintf(
        buf, sizeof buf,
        "nt35e-sim: fleet of %zu modems started in %.0f ms on %u threads; resident memory %s "
        "(%.1f KiB per modem above the %s the process had before its first modem)\n",
        c.size, ready_ms, threads, mib(rss).c_str(),
        c.size && rss > rss_before ? static_cast<double>(rss - rss_before) / static_cast<double>(c.size) : 0.0,
        mib(rss_before).c_str());
    print_now(stderr, buf);
  }

  // ---- run ------------------------------------------------------------------------------
  net::signal_set signals(ioc, SIGINT, SIGTERM, SIGHUP);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    fleet_log.log(io::log_level::info, std::string("signal ") +
                                           (signo == SIGINT    ? "SIGINT"
                                            : signo == SIGTERM ? "SIGTERM"
                                                               : "SIGHUP") +
                                           ": stopping");
    ioc.stop();
  });

  auto worker = [&ioc, &fleet_log] {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        // A bug in one modem's handler must not take the other modems down.
        fleet_log.log(io::log_level::error, std::string("internal error in a handler: ") + e.what());
      } catch (...) {
        fleet_log.log(io::log_level::error, "internal error in a handler");
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  // ---- stop -----------------------------------------------------------------------------
  metrics::modem_metrics total;
  bool first = true;
  for (auto& u : units) {
    auto m = u->metrics.collect(u->session->snapshot(), u->session->attached());
    if (std::exchange(first, false))
      total = std::move(m);
    else
      total.merge(m);
  }
  // The verdict as the fleet ends, every modem's deadlines checked up to the same moment.
  if (c.oracle && verdict) {
    const auto ended = std::chrono::steady_clock::now();
    *verdict = {};
    verdict->lenient = c.oracle(*plain).lenient;
    verdict->threshold = c.verdict_fail;
    for (auto& u : units) {
      auto part = u->judge->verdict(ended);
      for (auto& m : part.modems) verdict->modems.push_back(std::move(m));
    }
  }
  stop_all();
  fleet_log.log(io::log_level::info, "stopped");
  if (c.log_level <= io::log_level::warn) print_now(stderr, metrics::format_summary(total, true));
  // The units (transports, sessions, Paho clients) go before the io_context.
  control.reset();
  metrics_endpoint.reset();
  events.reset();
  units.clear();
  return 0;
}

}  // namespace nt35e::fleet
