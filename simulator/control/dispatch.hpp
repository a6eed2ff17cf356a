#pragma once
// What each control request does (control/protocol.hpp lists them): a checked request
// is carried out on the modems of a fleet_target, each reached only through its own
// executor, and answered (control/answers.hpp). No sockets: control_server feeds it
// lines, tests call it directly.
//
// Thread safety: handle_request_async may be called on any executor; it posts the work
// to the modems' executors and the answer back to `reply_ex`, so modems may run on
// other threads. A caller that wants its requests answered in order waits for each
// answer before it passes the next line (control_server does).

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "control/target.hpp"
#include "io/logger.hpp"

namespace nt35e::control {

/// Answers one request line (without its line end) for the modems of `f`: checks it at
/// once, then calls `done` with the answer (one line of JSON without a line end), always
/// later and on `reply_ex`, never from inside this call. Never throws; a refused request
/// is answered {"ok":false,"error":...} and changes nothing. `peer` names the client in
/// log lines ("client 127.0.0.1:40000"); `log` may be null. `stop` set to true cancels
/// fleet events still waiting for their stagger time.
void handle_request_async(std::string_view line, std::shared_ptr<const fleet_target> f,
                          boost::asio::any_io_executor reply_ex, io::logger* log, std::string peer,
                          std::shared_ptr<std::atomic<bool>> stop, std::function<void(std::string)> done);

}  // namespace nt35e::control
