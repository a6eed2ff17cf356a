#pragma once
// Fleet mode (--fleet N): N complete modems in one process, each with its own line
// (PTY link PREFIXi or TCP port BASE+i), identity (modem::apply_fleet_identity of its
// global index), MQTT backend instance, session, scenario state and metrics, all on one
// io_context run by a small fixed pool of threads.
//
// Threads: every modem lives on its own lane of the fleet's scheduler (io/fair_scheduler:
// a strand whose turns are picked DTE work first, quiet lines first, instead of first
// come first served across the fleet): its transport, session, timers and backend are
// created with that lane as executor, so its handlers never run concurrently, whichever
// pool thread runs them. Nothing is shared between modems that one could change (each has
// its own logger and profile; the world it plays, that of the scenario override that
// selects its global index or the scenario's, is shared read-only by the modems that play
// it, and a modem copies its profile only when it changes it at run time). The
// control channel runs on a strand of its own and reaches a modem only by posting to
// that modem's strand (control::fleet_target). Set-up and tear-down happen on the main
// thread while no pool thread runs.
//
// Start-up: raise the open-file limit, build every modem, open every line, then the
// control channel and the metrics endpoint, print "control: ...", "metrics: ..." and the
// ready line, power every modem on, start
// the scenario's fleet events (fleet/fleet_events.hpp; on the control channel's strand),
// run.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "exporter/exposition.hpp"
#include "fleet/resources.hpp"
#include "io/logger.hpp"
#include "io/pty_transport.hpp"
#include "modem/profile.hpp"
#include "mqtt/backend.hpp"
#include "oracle/verdict.hpp"
#include "scenario/scenario.hpp"
#include "web/web_server.hpp"

namespace nt35e::fleet {

/// The most modems one process runs.
constexpr std::size_t max_fleet_size = 10000;

struct config {
  std::size_t size = 1;
  std::uint64_t offset = 0;  ///< global index of modem 0 (--fleet-offset)
  unsigned threads = 0;      ///< 0: hardware_concurrency(), at least 2
  line_kind line = line_kind::pty;
  std::string pty_prefix = "/tmp/nt35e-";   ///< modem i: link PREFIXi
  io::pty_access pty;                       ///< who may open each PTY (--pty-mode, --pty-group)
  boost::asio::ip::tcp::endpoint tcp_base;  ///< modem i: port BASE+i on the same address
  std::optional<boost::asio::ip::tcp::endpoint> control;
  std::optional<std::string> control_token;                       ///< every control client must send it (never logged)
  std::optional<std::chrono::milliseconds> control_line_timeout;  ///< unfinished lines and missing tokens
  std::optional<boost::asio::ip::tcp::endpoint> metrics;          ///< the Prometheus endpoint (--metrics)
  std::optional<std::string> metrics_token;                       ///< GET /metrics must carry it (never logged)
  exporter::build_info build;                                     ///< what nt35e_build_info shows
  io::log_level log_level = io::log_level::warn;
  bool live = false;  ///< for the open-file estimate
  /// When set, an oracle watches every modem's driver (io/oracle_watch), with the settings
  /// this gives for the world the modem plays; its verdict is "query": "verdict" on the
  /// control channel and run()'s `verdict` at the end. In explain mode (the profile's
  /// "explain") each modem's findings go to its transcript as they are found.
  std::function<oracle::config(const scenario::scenario& world)> oracle;
  oracle::fail_on verdict_fail = oracle::fail_on::error;  ///< the verdict's threshold
  /// The web view (--web, docs/web.md): a grid of the modems at /fleet, each modem's live
  /// view at /?modem=N. Each modem then keeps a feed (its latest messages and a recording
  /// of at most web_trace_limit bytes for the downloads).
  std::optional<web::web_settings> web;
  std::size_t web_trace_limit = 256 * 1024;
};

/// Makes one modem's MQTT backend for the world it plays (its broker script and host
/// mappings), with `ex` (the modem's strand) as its executor; may throw
/// std::invalid_argument with a sentence (a bad host mapping).
using backend_factory = std::function<std::unique_ptr<mqtt::backend>(
    const modem::profile& profile, const scenario::scenario& world, boost::asio::any_io_executor ex, io::logger& log)>;

/// The profile (before the fleet identity) of the modems that play the world of the
/// scenario override `o`, or, for null, the scenario's own. The caller builds each once;
/// the reference must stay valid while the fleet runs.
using profile_source = std::function<const modem::profile&(const scenario::modem_override* o)>;

/// The threads a fleet runs on when `requested` is 0: hardware_concurrency(), at least 2.
unsigned pool_size(unsigned requested);

/// "ready: fleet N pty PREFIX0..PREFIX{N-1}" / "ready: fleet N tcp ADDR:BASE..BASE+N-1"
/// (without the line end).
std::string ready_line(const config& c);

/// "scenario override /modems/2 selects no modem of this fleet (indices K..K+N-1)", one
/// line (without its end) for each override of `s`, and each fleet event with a "select",
/// that selects none of the fleet's indices ("scenario fleet event /fleet_events/1 ...").
std::vector<std::string> idle_selection_warnings(const config& c, const scenario::scenario& s);

/// Runs the fleet until SIGINT, SIGTERM or SIGHUP, then prints the metrics summary on
/// stderr. The modem with global index k plays s.world_for(k) (its rules, network and
/// broker) with profile_for(s.override_for(k)); s.fleet_events play on the whole fleet,
/// their times scaled by profile_for(nullptr)'s time_scale. Returns the exit status: 0 after a
/// signal; 1 when a line or the control channel cannot be opened; 2 when the fleet
/// cannot start at all (an identity index out of range, far too few open files, a bad
/// backend setting); errors and warnings are printed on stderr. With c.oracle and a
/// `verdict`, that gets the fleet's verdict once it stopped: one part per modem, named
/// "modem i" (i its position, as its line and the control channel number it).
int run(const config& c, const scenario::scenario& s, const profile_source& profile_for,
        const backend_factory& make_backend, oracle::verdict* verdict = nullptr);

}  // namespace nt35e::fleet
