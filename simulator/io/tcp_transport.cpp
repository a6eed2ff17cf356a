#include "io/tcp_transport.hpp"

#include "io/fair_scheduler.hpp"
#include "io/listener.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <utility>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace nt35e::io {

namespace net = boost::asio;
using net::ip::tcp;

std::optional<tcp::endpoint> parse_tcp_endpoint(std::string_view spec, std::string& error) {
  std::string_view host = "127.0.0.1";
  std::string_view port_text = spec;

  if (!spec.empty() && spec.front() == '[') {
    auto close = spec.find(']');
    if (close == std::string_view::npos || close + 1 >= spec.size() || spec[close + 1] != ':') {
      error = "\"" + std::string(spec) + "\" is not [IPv6]:PORT, as in [::1]:5000";
      return std::nullopt;
    }
    host = spec.substr(1, close - 1);
    port_text = spec.substr(close + 2);
  } else if (auto colon = spec.rfind(':'); colon != std::string_view::npos) {
    if (spec.find(':') != colon) {
      error = "\"" + std::string(spec) + "\": write an IPv6 address in brackets, as in [::1]:5000";
      return std::nullopt;
    }
    host = spec.substr(0, colon);
    port_text = spec.substr(colon + 1);
  }

  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    error = "\"" + std::string(port_text) + "\" is not a port number from 0 to 65535";
    return std::nullopt;
  }

  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code bad;
  auto address = net::ip::make_address(std::string(host), bad);
  if (bad) {
    error = "\"" + std::string(host) + "\" is not an IP address (use e.g. 127.0.0.1, 0.0.0.0 or [::1])";
    return std::nullopt;
  }
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

std::string to_string(const tcp::endpoint& ep) {
  auto address = ep.address().to_string();
  if (ep.address().is_v6()) address = "[" + address + "]";
  return address + ":" + std::to_string(ep.port());
}

// Where every connection on this thread reads into: the session takes the bytes before
// the read handler returns, so nothing refers to them across handlers.
std::array<char, 4096>& read_buffer() {
  thread_local std::array<char, 4096> buffer{};
  return buffer;
}

// One DTE's socket. Closed by the transport (stop, nothing reported) or by itself on
// a read/write failure (reported to the transport once).
class tcp_transport::connection final : public dte_stream, public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket socket, tcp_transport& owner)
      : socket_(std::move(socket)), line_ex_(dte_line(socket_.get_executor())), owner_(&owner) {
    boost::system::error_code ignored;
    peer_ = to_string(socket_.remote_endpoint(ignored));
    // AT answers are small and latency is what a DTE notices.
    socket_.set_option(tcp::no_delay(true), ignored);
    // Reads happen only once the socket is readable; they must never block the thread.
    socket_.non_blocking(true, ignored);
  }

  ~connection() override {
    watch_.reset();  // before the descriptor closes
    if (fd_ >= 0) ::close(fd_);
  }

  const std::string& peer() const { return peer_; }

  /// True (and closed, reported to the owner) when the DTE has already hung up but
  /// its EOF is still queued behind us. A DTE that reconnects at once must not be
  /// told "busy" by its own previous connection.
  bool finish_if_peer_gone() {
    int fd = fd_ >= 0 ? fd_ : socket_.native_handle();
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0 || (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0) return false;
    // What it sent before leaving is still part of the byte stream the modem sees.
    while (owner_) {
      auto& buffer = read_buffer();
      ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n <= 0) break;
      owner_->port_->receive(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    }
    fail("disconnected");
    return true;
  }

  void start() {
    // In a fleet the line leaves asio's reactor for the poller's set, where it is seen as
    // soon as it is ready however many other lines are (io/ready_poller.hpp).
    if (auto* poller = line_poller(line_ex_)) {
      boost::system::error_code ec;
      const int fd = socket_.release(ec);
      if (!ec) {
        polled_ = true;
        fd_ = fd;
        watch_ = poller->add(fd_, line_ex_, [weak = weak_from_this()](std::uint32_t events) {
          if (auto self = weak.lock()) self->on_polled(events);
        });
        reading_ = true;
        return rearm();
      }
    }
    do_read();
  }

  /// Closes without telling the owner (it is the one asking).
  void close() {
    owner_ = nullptr;
    close_line();
  }

  void async_write(net::const_buffer bytes, write_handler done) override {
    if (polled_) return polled_write(bytes, std::move(done));
    net::async_write(socket_, bytes,
                     net::bind_executor(line_ex_, [self = shared_from_this(), done = std::move(done)](
                                                      const boost::system::error_code& ec, std::size_t) {
                       // Report the loss before completing, so the session does not
                       // start another write on a dead socket.
                       if (ec && ec != net::error::operation_aborted)
                         self->fail("disconnected (write failed: " + ec.message() + ")");
                       done(ec);
                     }));
  }

 private:
  // Waits for input, then reads it into the thread's buffer: an idle connection holds no
  // read buffer of its own (a fleet has thousands of them; docs/architecture.md).
  void do_read() {
    // The line goes ahead of other modems' MQTT work in a fleet (io/fair_scheduler.hpp).
    socket_.async_wait(tcp::socket::wait_read,
                       net::bind_executor(line_ex_, [self = shared_from_this()](const boost::system::error_code& ec) {
                         self->on_readable(ec);
                       }));
  }

  void on_readable(boost::system::error_code ec) {
    if (!owner_) return;  // closed by the transport
    std::size_t n = 0;
    if (!ec) n = socket_.read_some(net::buffer(read_buffer()), ec);
    if (ec == net::error::would_block || ec == net::error::try_again) return do_read();  // woken for nothing
    if (ec) {
      fail(ec == net::error::eof ? std::string("disconnected") : "disconnected (" + ec.message() + ")");
      return;
    }
    count_dte_input(line_ex_, n);
    owner_->port_->receive(std::string_view(read_buffer().data(), n));
    if (owner_) do_read();
  }

  // The line in the poller's set (a fleet): reads and writes on the descriptor itself,
  // each waited for through the watch.
  void on_polled(std::uint32_t events) {
    if (!owner_) return;  // closed by the transport
    constexpr std::uint32_t gone = EPOLLERR | EPOLLHUP;
    if (out_left_ > 0 && (events & (EPOLLOUT | gone)) != 0) {
      if (auto ec = send_pending(); ec != net::error::would_block) finish_write(ec);
      if (!owner_) return;
    }
    if (reading_ && (events & (EPOLLIN | gone)) != 0) {
      auto& buffer = read_buffer();
      const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n == 0) return fail("disconnected");
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return fail("disconnected (" + boost::system::error_code(errno, boost::system::system_category()).message() +
                    ")");
      if (n > 0) {
        count_dte_input(line_ex_, static_cast<std::size_t>(n));
        owner_->port_->receive(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        if (!owner_) return;
      }
    }
    rearm();
  }

  void polled_write(net::const_buffer bytes, write_handler done) {
    if (fd_ < 0) {  // closed: the handler still runs, on the session's executor
      net::post(line_ex_, [done = std::move(done)] { done(net::error::operation_aborted); });
      return;
    }
    out_ = static_cast<const char*>(bytes.data());
    out_left_ = bytes.size();
    out_done_ = std::move(done);
    auto ec = send_pending();
    if (ec == net::error::would_block) return rearm();
    // Done at once; the handler still runs later, as asio's would.
    net::post(line_ex_, [self = shared_from_this(), ec] { self->finish_write(ec); });
  }

  /// Sends what is left of the write: would_block while some remains.
  boost::system::error_code send_pending() {
    while (out_left_ > 0) {
      const ssize_t n = ::send(fd_, out_, out_left_, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        out_ += n;
        out_left_ -= static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return net::error::would_block;
      } else {
        return {errno, boost::system::system_category()};
      }
    }
    return {};
  }

  void finish_write(boost::system::error_code ec) {
    if (!out_done_) return;  // closed meanwhile: close_line() completed it
    auto done = std::exchange(out_done_, nullptr);
    out_left_ = 0;
    // Report the loss before completing, so the session does not start another write on
    // a dead socket.
    if (ec) fail("disconnected (write failed: " + ec.message() + ")");
    done(ec);
  }

  void rearm() {
    const std::uint32_t events = (reading_ ? EPOLLIN : 0u) | (out_left_ > 0 ? EPOLLOUT : 0u);
    boost::system::error_code ec;
    if (events != 0 && watch_ && !watch_->arm(events, ec)) fail("disconnected (" + ec.message() + ")");
  }

  void close_line() {
    watch_.reset();  // before the descriptor closes
    reading_ = false;
    boost::system::error_code ignored;
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    } else {
      socket_.close(ignored);
    }
    if (out_done_) {  // a write that was waiting: aborted, as asio reports it
      out_left_ = 0;
      net::post(line_ex_, [done = std::exchange(out_done_, nullptr)] { done(net::error::operation_aborted); });
    }
  }

  void fail(const std::string& why) {
    auto* owner = std::exchange(owner_, nullptr);
    close_line();
    if (owner) owner->on_connection_closed(*this, why);
  }

  tcp::socket socket_;
  net::any_io_executor line_ex_;  ///< the socket's executor, its handlers queued as DTE work
  tcp_transport* owner_;
  std::string peer_;
  // In a fleet (start() released the socket from asio): the descriptor and its watch.
  bool polled_ = false;  ///< set once by start(): every write goes by polled_write(), also after close
  int fd_ = -1;
  std::unique_ptr<ready_poller::watch> watch_;
  bool reading_ = false;
  const char* out_ = nullptr;  ///< the write in progress: what is left of it
  std::size_t out_left_ = 0;
  write_handler out_done_;
};

namespace {

// Sends the busy line, then waits (bounded) for the client to close before closing
// too: closing with unread input would reset the connection and could lose the line.
class refusal : public std::enable_shared_from_this<refusal> {
 public:
  explicit refusal(tcp::socket socket) : socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  void start() {
    net::async_write(socket_, net::buffer(tcp_transport::busy_line.data(), tcp_transport::busy_line.size()),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       if (ec) return self->finish();
                       boost::system::error_code ignored;
                       self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                       self->timer_.expires_after(std::chrono::seconds(2));
                       self->timer_.async_wait([self](const boost::system::error_code&) { self->finish(); });
                       self->drain();
                     });
  }

 private:
  void drain() {
    socket_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                              if (ec) return self->finish();
                              self->drain();
                            });
  }

  void finish() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

  tcp::socket socket_;
  net::steady_timer timer_;
  std::array<char, 512> scratch_{};
};

}  // namespace

tcp_transport::tcp_transport(net::any_io_executor ex, tcp::endpoint where, logger& log)
    : ex_(ex), wanted_(where), acceptor_(ex), log_(log), retry_(ex) {}

tcp_transport::~tcp_transport() {
  port_ = nullptr;  // the session may already be gone
  stop();
}

void tcp_transport::start(dte_port& port) {
  port_ = &port;
  bound_ = open_listener(acceptor_, wanted_, "");
  log_.log(log_level::info, "listening on " + to_string(bound_));
  do_accept();
}

std::string tcp_transport::ready_text() const { return "tcp " + to_string(bound_); }

void tcp_transport::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_.cancel();
  if (current_) {
    current_->close();
    current_.reset();
    if (port_) port_->detach();
  }
}

void tcp_transport::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    on_accept(ec, std::move(socket));
  });
}

void tcp_transport::on_accept(const boost::system::error_code& ec, tcp::socket socket) {
  if (stopped_) return;
  if (ec == net::error::connection_aborted) return do_accept();  // that client left before we took it
  if (ec) {
    // Typically EMFILE. Out of files, the client stays queued and the port stays
    // readable: retrying at once would spin and log without end, so the next try comes
    // after 100 ms, and the episode is said once.
    if (accept_failures_.count())
      log_.log(log_level::warn, "accept failed: " + ec.message() + "; retrying every 100 ms");
    retry_.expires_after(std::chrono::milliseconds(100));
    retry_.async_wait([this](const boost::system::error_code& wait) {
      if (!wait && !stopped_) do_accept();
    });
    return;
  }
  if (auto n = accept_failures_.end())
    log_.log(log_level::info, "accepting again after " + std::to_string(n) + " failed tries");
  if (current_ && !current_->finish_if_peer_gone()) {
    boost::system::error_code ignored;
    log_.log(log_level::info, "refused " + to_string(socket.remote_endpoint(ignored)) + ": a DTE is connected");
    refuse(std::move(socket));
  } else {
    current_.reset();
    current_ = std::make_shared<connection>(std::move(socket), *this);
    log_.log(log_level::info, "DTE connected from " + current_->peer());
    port_->attach(*current_);
    current_->start();
    if (!listen_while_connected_) {
      // Connections already queued on the port are reset as it closes, as a second
      // client would be refused once it is closed.
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      log_.log(log_level::debug, "port " + to_string(bound_) + " closed while the DTE is connected");
      return;
    }
  }
  do_accept();
}

void tcp_transport::listen_again() {
  if (stopped_ || current_ || acceptor_.is_open()) return;
  try {
    open_listener(acceptor_, bound_, "");
  } catch (const startup_error& e) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (!std::exchange(retrying_, true))
      log_.log(log_level::warn, std::string(e.what()) + "; trying again every second");
    retry_.expires_after(std::chrono::seconds(1));
    retry_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) listen_again();
    });
    return;
  }
  if (std::exchange(retrying_, false)) log_.log(log_level::info, "listening on " + to_string(bound_) + " again");
  do_accept();
}

void tcp_transport::refuse(tcp::socket socket) { std::make_shared<refusal>(std::move(socket))->start(); }

void tcp_transport::on_connection_closed(connection& c, const std::string& why) {
  if (current_.get() != &c) return;
  log_.log(log_level::info, "DTE " + c.peer() + " " + why);
  // Keep the connection alive until its own handler returns.
  auto keep = std::move(current_);
  port_->detach();
  if (!listen_while_connected_) listen_again();
}

}  // namespace nt35e::io
