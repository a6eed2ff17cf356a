#pragma once
// Fleet mode (--fleet N): N complete modems in one process, each with its own line
// (PTY link PREFIXi or TCP port BASE+i), identity (modem::apply_fleet_identity of its
// global index), MQTT backend instance, session, scenario state and metrics, all on one
// io_context run by a small fixed pool of threads.
//
// Threads: every modem lives on its own strand (make_strand of the io_context): its
// transport, session, timers and backend are created with that strand as executor, so
// its handlers never run concurrently, whichever pool thread runs them. Nothing is
// shared between modems (each has its own logger, profile copy and scenario copy). The
// control channel runs on a strand of its own and reaches a modem only by posting to
// that modem's strand (control::fleet_target). Set-up and tear-down happen on the main
// thread while no pool thread runs.
//
// Start-up: raise the open-file limit, build every modem, open every line, then the
// control channel, print "control: ..." and the ready line, power every modem on, run.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "fleet/resources.hpp"
#include "io/logger.hpp"
#include "modem/profile.hpp"
#include "mqtt/backend.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::fleet {

/// The most modems one process runs.
constexpr std::size_t max_fleet_size = 10000;

struct config {
  std::size_t size = 1;
  std::uint64_t offset = 0;                  ///< global index of modem 0 (--fleet-offset)
  unsigned threads = 0;                      ///< 0: hardware_concurrency(), at least 2
  line_kind line = line_kind::pty;
  std::string pty_prefix = "/tmp/nt35e-";    ///< modem i: link PREFIXi
  boost::asio::ip::tcp::endpoint tcp_base;   ///< modem i: port BASE+i on the same address
  std::optional<boost::asio::ip::tcp::endpoint> control;
  io::log_level log_level = io::log_level::warn;
  bool live = false;                         ///< for the open-file estimate
};

/// Makes one modem's MQTT backend with `ex` (the modem's strand) as its executor;
/// may throw std::invalid_argument with a sentence (a bad host mapping).
using backend_factory = std::function<std::unique_ptr<mqtt::backend>(
    const modem::profile& profile, boost::asio::any_io_executor ex, io::logger& log)>;

/// The threads a fleet runs on when `requested` is 0: hardware_concurrency(), at least 2.
unsigned pool_size(unsigned requested);

/// "ready: fleet N pty PREFIX0..PREFIX{N-1}" / "ready: fleet N tcp ADDR:BASE..BASE+N-1"
/// (without the line end).
std::string ready_line(const config& c);

/// Runs the fleet until SIGINT, SIGTERM or SIGHUP, then prints the metrics summary on
/// stderr. Returns the exit status: 0 after a signal; 1 when a line or the control
/// channel cannot be opened; 2 when the fleet cannot start at all (an identity index out
/// of range, far too few open files, a bad backend setting); errors are printed on stderr.
int run(const config& c, const scenario::scenario& world, const modem::profile& base,
        const backend_factory& make_backend);

}  // namespace nt35e::fleet
