#include "control/control_server.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "control/answers.hpp"
#include "control/dispatch.hpp"
#include "io/access_guard.hpp"
#include "io/listener.hpp"
#include "io/tcp_transport.hpp"
#include "io/transport.hpp"

namespace nt35e::control {

namespace net = boost::asio;
using net::ip::tcp;

// ---------------------------------------------------------------------------
// Connections

class control_server::connection final : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket socket, control_server& owner)
      : socket_(std::move(socket)),
        owner_(&owner),
        linger_(socket_.get_executor()),
        stall_(socket_.get_executor()),
        authenticated_(!owner.token_.has_value()) {
    boost::system::error_code ignored;
    peer_ = io::to_string(socket_.remote_endpoint(ignored));
    socket_.set_option(tcp::no_delay(true), ignored);
  }

  const std::string& peer() const { return peer_; }

  void start() {
    do_read();
    watch_stall(false);
  }

  /// Sends one answer, then closes gracefully (used for refusals).
  void refuse(const std::string& sentence) {
    send(format(error_answer(sentence)));
    closing_ = true;
    maybe_finish_closing();
  }

  /// Closes now, without telling the owner (it is the one asking).
  void close() {
    owner_ = nullptr;
    boost::system::error_code ignored;
    linger_.cancel();
    stall_.cancel();
    socket_.close(ignored);
  }

 private:
  void do_read() {
    socket_.async_read_some(net::buffer(buffer_), [self = shared_from_this()](const boost::system::error_code& ec,
                                                                              std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    if (!owner_ || closing_) return;
    if (ec) {
      if (lines_.pending() != 0)
        log(io::log_level::info,
            "left in the middle of a line (" + std::to_string(lines_.pending()) + " bytes ignored)");
      else
        log(io::log_level::debug, ec == net::error::eof ? "disconnected" : "disconnected (" + ec.message() + ")");
      return finish();
    }
    std::vector<std::string> lines;
    lines_.feed(std::string_view(buffer_.data(), n), lines);
    for (auto& line : lines) {
      // A line before authentication may be (or hold) a token: never shown.
      if (authenticated_) log(io::log_level::debug, "-> " + io::escape_bytes(line));
      requests_.push_back(std::move(line));
    }
    watch_stall(!lines.empty());
    next_request();
  }

  /// Answers the waiting requests one at a time, in order; reads on once all are answered.
  void next_request() {
    if (!owner_ || closing_ || answering_) return;
    if (requests_.empty()) {
      if (lines_.too_long()) return too_long();
      return do_read();
    }
    std::string line = std::move(requests_.front());
    requests_.pop_front();
    if (auto auth = parse_auth(line)) return authenticate(*auth);
    if (!authenticated_) {
      log(io::log_level::warn, "refused: it did not authenticate (its first request was not {\"auth\": TOKEN})");
      return refuse(
          "this control channel requires a token: send {\"auth\": \"TOKEN\"} as the first line (nt35e-ctl "
          "--token-file FILE); the connection is closed");
    }
    answering_ = true;
    handle_request_async(line, owner_->fleet_, socket_.get_executor(), &owner_->log_, "client " + peer_,
                         owner_->stopping_, [self = shared_from_this()](std::string answer) {
                           self->answering_ = false;
                           if (!self->owner_ || self->closing_) return;
                           self->send(std::move(answer));
                           self->next_request();
                         });
  }

  /// {"auth": ...}: accepted (or not needed) and answered, or refused and closed. The
  /// token is compared in constant time and never logged.
  void authenticate(const auth_request& auth) {
    if (!owner_->token_) {
      send(format(answer{{"ok", true}, {"auth", "not required"}}));
      return next_request();
    }
    if (!auth.alone) {
      log(io::log_level::warn, "refused: its auth request had other fields");
      return refuse("send {\"auth\": \"TOKEN\"} alone on its line; the connection is closed");
    }
    if (!io::constant_time_equal(*owner_->token_, auth.token)) {
      log(io::log_level::warn, "refused: wrong token");
      return refuse("wrong token; the connection is closed");
    }
    if (!authenticated_) log(io::log_level::info, "authenticated");
    authenticated_ = true;
    watch_stall(false);
    send(format(answer{{"ok", true}, {"auth", "accepted"}}));
    next_request();
  }

  /// Runs the line timeout while the client owes us something: the rest of a line, or its
  /// token. A new line (one completed in this read) restarts the clock; a client idle
  /// between whole requests is not timed.
  void watch_stall(bool line_completed) {
    if (!owner_ || closing_) return;
    const bool owed = !authenticated_ || lines_.pending() != 0;
    if (!owed) {
      if (std::exchange(stall_armed_, false)) stall_.cancel();
      return;
    }
    if (stall_armed_ && !line_completed) return;  // the same unfinished line: its clock runs on
    stall_armed_ = true;
    stall_.expires_after(owner_->line_timeout_);
    stall_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->stalled();
    });
  }

  void stalled() {
    stall_armed_ = false;
    if (!owner_ || closing_) return;
    // Still answering its earlier requests: the wait is ours, not the client's.
    if (answering_ || !requests_.empty()) return watch_stall(true);
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g", std::chrono::duration<double>(owner_->line_timeout_).count());
    const bool unauthenticated = !authenticated_;
    log(io::log_level::warn, unauthenticated ? "did not authenticate within " + std::string(seconds) + " s; closing"
                                             : "left a line unfinished for " + std::string(seconds) + " s (" +
                                                   std::to_string(lines_.pending()) + " bytes); closing");
    lines_.clear();
    boost::system::error_code ignored;
    socket_.cancel(ignored);  // the read still waiting for the rest; refuse() drains with its own
    refuse(unauthenticated ? "no {\"auth\": TOKEN} within " + std::string(seconds) + " s; the connection is closed"
                           : "a request line was left unfinished for " + std::string(seconds) +
                                 " s (a line ends with \\n); the connection is closed");
  }

  void too_long() {
    log(io::log_level::warn, "sent a line longer than " + std::to_string(max_line) + " bytes; closing");
    lines_.clear();
    refuse(too_long_sentence());
  }

  void send(std::string answer) {
    if (queue_.size() + answer.size() > max_backlog) {
      log(io::log_level::warn, "does not read its answers; disconnecting");
      return finish();
    }
    queue_ += answer;
    queue_ += '\n';
    do_write();
  }

  void do_write() {
    if (writing_ || queue_.empty() || !socket_.is_open()) return;
    writing_ = true;
    in_flight_.swap(queue_);
    queue_.clear();
    net::async_write(socket_, net::buffer(in_flight_),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       self->writing_ = false;
                       self->in_flight_.clear();
                       if (ec) {
                         if (ec != net::error::operation_aborted && self->owner_)
                           self->log(io::log_level::debug, "write failed: " + ec.message());
                         return self->finish();
                       }
                       self->do_write();
                       self->maybe_finish_closing();
                     });
  }

  /// Once a refusal is written: stop sending and drain what the client still sends for
  /// a moment (closing with unread input would reset the connection and could lose it).
  void maybe_finish_closing() {
    if (!closing_ || writing_ || !queue_.empty() || draining_) return;
    draining_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    linger_.expires_after(std::chrono::seconds(2));
    linger_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->finish();
    });
    drain();
  }

  void drain() {
    socket_.async_read_some(net::buffer(buffer_),
                            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                              self->drained_ += n;
                              // A client that keeps sending is not worth more of the modem's thread.
                              if (ec || self->drained_ > max_line) return self->finish();
                              self->drain();
                            });
  }

  /// Closes and tells the owner once.
  void finish() {
    boost::system::error_code ignored;
    linger_.cancel();
    stall_.cancel();
    socket_.close(ignored);
    if (auto* owner = std::exchange(owner_, nullptr)) owner->forget(this);
  }

  void log(io::log_level level, const std::string& text) {
    if (owner_) owner_->log_.log(level, "control client " + peer_ + ": " + text);
  }

  tcp::socket socket_;
  control_server* owner_;
  net::steady_timer linger_;
  net::steady_timer stall_;  ///< the line timeout (watch_stall)
  bool stall_armed_ = false;
  std::string peer_;
  std::array<char, 4096> buffer_{};
  line_splitter lines_;               ///< the bytes read, cut into request lines
  std::deque<std::string> requests_;  ///< complete lines not answered yet
  bool answering_ = false;            ///< a request is being answered (perhaps on a modem's thread)
  bool authenticated_;                ///< no token required, or the client sent it
  std::string queue_, in_flight_;
  bool writing_ = false;
  bool closing_ = false;
  bool draining_ = false;
  std::size_t drained_ = 0;
};

// ---------------------------------------------------------------------------
// Server

control_server::control_server(net::any_io_executor ex, tcp::endpoint where, target t, io::logger& log)
    : ex_(std::move(ex)),
      wanted_(where),
      acceptor_(ex_),
      fleet_(std::make_shared<const fleet_target>(one_modem(ex_, std::move(t)))),
      log_(log) {}

control_server::control_server(net::any_io_executor ex, tcp::endpoint where, fleet_target f, io::logger& log)
    : ex_(std::move(ex)),
      wanted_(where),
      acceptor_(ex_),
      fleet_(std::make_shared<const fleet_target>(std::move(f))),
      log_(log) {}

control_server::~control_server() { stop(); }

void control_server::start() {
  if (auto refusal = io::listener_refusal("--control", wanted_, token_.has_value(), "--control-token-file");
      !refusal.empty())
    throw io::startup_error(refusal);
  bound_ = io::open_listener(acceptor_, wanted_, "--control: ");
  log_.log(io::log_level::info, "control channel listening on " + io::to_string(bound_));
  if (token_) log_.log(io::log_level::info, "the control channel requires a token from every client");
  do_accept();
}

void control_server::stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_->store(true);
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& c : std::exchange(clients_, {})) c->close();
  report_refused();
}

void control_server::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopped_) return;
    if (ec) {
      log_.log(io::log_level::warn, "control channel: accept failed: " + ec.message());
    } else {
      auto c = std::make_shared<connection>(std::move(socket), *this);
      clients_.push_back(c);
      if (clients_.size() > max_clients) {
        if (refused_.count())
          log_.log(io::log_level::warn, "control client " + c->peer() + " refused: too many clients (at most " +
                                            std::to_string(max_clients) +
                                            " at once); further refusals are counted until one leaves");
        c->refuse("too many control clients (at most " + std::to_string(max_clients) + " at once)");
      } else {
        log_.log(io::log_level::debug, "control client " + c->peer() + " connected");
        c->start();
      }
    }
    do_accept();
  });
}

void control_server::forget(connection* c) {
  // The connection keeps itself alive through its handlers' shared_ptr copies.
  std::erase_if(clients_, [c](const std::shared_ptr<connection>& p) { return p.get() == c; });
  // Refused clients hold a place until their refusal is written: the episode ends once
  // a client can be served again.
  if (clients_.size() < max_clients) report_refused();
}

void control_server::report_refused() {
  if (auto n = refused_.end())
    log_.log(io::log_level::warn, std::to_string(n) + " control clients were refused in all (too many clients)");
}

}  // namespace nt35e::control
