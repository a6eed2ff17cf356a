#include "exporter/metrics_server.hpp"

#include <array>
#include <cstdio>
#include <iterator>
#include <string_view>
#include <utility>

#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "at/text.hpp"
#include "io/access_guard.hpp"
#include "io/listener.hpp"
#include "io/tcp_transport.hpp"
#include "io/transport.hpp"

namespace nt35e::exporter {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::ip::tcp;

namespace {

std::string seconds_of(std::chrono::milliseconds t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", std::chrono::duration<double>(t).count());
  return buf;
}

}  // namespace

// ---------------------------------------------------------------------------
// Connections

class metrics_server::connection final : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket socket, metrics_server& owner)
      : stream_(std::move(socket)), owner_(&owner), wait_(stream_.get_executor()) {
    boost::system::error_code ignored;
    peer_ = io::to_string(stream_.socket().remote_endpoint(ignored));
  }

  const std::string& peer() const { return peer_; }

  void start() { do_read(); }

  /// Too many clients: 503, then closed.
  void refuse_busy() {
    respond(http::status::service_unavailable,
            "too many metrics clients (at most " + std::to_string(max_clients) + " at once); try again\n", true);
  }

  /// Closes now, without telling the owner (it is the one asking).
  void close() {
    owner_ = nullptr;
    boost::system::error_code ignored;
    wait_.cancel();
    stream_.socket().close(ignored);
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(max_header_bytes));
    stream_.expires_after(owner_->timeout_);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](const beast::error_code& ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(const beast::error_code& ec) {
    if (!owner_) return;
    if (ec == http::error::end_of_stream) return finish();  // left between requests
    if (ec == beast::error::timeout) {
      // Beast has closed the socket: nothing can be answered any more.
      if (parser_->got_some() || buffer_.size() != 0)
        log(io::log_level::info, "sent no whole request within " + seconds_of(owner_->timeout_) + " s; closed");
      else
        log(io::log_level::debug, "idle for " + seconds_of(owner_->timeout_) + " s; closed");
      return finish();
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return fail(http::status::request_header_fields_too_large,
                  "the request header is longer than " + std::to_string(max_header_bytes) + " bytes");
    if (ec == http::error::unexpected_body || ec == http::error::body_limit)
      return fail(http::status::payload_too_large, "this endpoint takes no request body");
    if (ec && ec.category() == http::make_error_code(http::error::bad_method).category())
      return fail(http::status::bad_request, "not an HTTP/1.1 request (" + ec.message() + ")");
    if (ec) {
      log(io::log_level::debug, "disconnected (" + ec.message() + ")");
      return finish();
    }
    handle(parser_->get());
  }

  void handle(const http::request<http::empty_body>& req) {
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    if (static_cast<std::size_t>(std::distance(req.begin(), req.end())) > max_header_fields)
      return fail(http::status::request_header_fields_too_large,
                  "the request has more than " + std::to_string(max_header_fields) + " header fields");
    std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    const bool metrics = path == "/metrics", health = path == "/healthz";
    if (!metrics && !health) {
      log(io::log_level::debug, "GET " + io::escape_bytes(path.substr(0, 200)) + ": 404");
      return respond(http::status::not_found, "not found: this endpoint serves /metrics and /healthz\n", false);
    }
    if (req.method() != http::verb::get && !head_) {
      log(io::log_level::debug, "method " + io::escape_bytes(std::string(req.method_string()).substr(0, 32)) + ": 405");
      allow_ = true;
      return respond(http::status::method_not_allowed, "only GET and HEAD are served here\n", false);
    }
    if (metrics && owner_->token_) {
      const auto it = req.find(http::field::authorization);
      const auto given = it == req.end() ? std::string_view() : io::bearer_token(it->value());
      if (given.empty() || !io::constant_time_equal(*owner_->token_, given)) return unauthorized(it != req.end());
      owner_->report_unauthorized();  // the episode of refusals, if any, ends with a client that has the token
    }
    await_modems();
    auto self = shared_from_this();
    if (health) {
      // Alive means every modem's executor runs: each is asked to do nothing, and answers.
      const auto& f = owner_->fleet_;
      std::vector<std::size_t> all(f->modems.size());
      for (std::size_t k = 0; k < all.size(); ++k) all[k] = k;
      control::for_each_modem(
          f, all, [](std::size_t) {}, stream_.get_executor(),
          [self] {
            if (self->answered()) self->respond(http::status::ok, "ok\n", false);
          });
      return;
    }
    control::gather_metrics(owner_->fleet_, stream_.get_executor(), [self](metrics::modem_metrics m) {
      if (!self->answered()) return;
      const double uptime =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - self->owner_->started_).count();
      self->respond(http::status::ok, render(m, self->owner_->info_, uptime), false, content_type);
    });
  }

  void unauthorized(bool had_header) {
    if (owner_->unauthorized_.count())
      owner_->log_.log(io::log_level::warn, "metrics client " + peer_ +
                                                ": refused: " + (had_header ? "wrong token" : "no token") +
                                                "; further refusals are counted until a client sends the token");
    bearer_ = true;
    respond(http::status::unauthorized,
            "this endpoint needs a token: send \"Authorization: Bearer TOKEN\" with the token of "
            "--metrics-token-file\n",
            true);
  }

  /// The modems are asked: their answer, or the timeout's 503, whichever comes first.
  void await_modems() {
    waiting_ = true;
    wait_.expires_after(owner_->timeout_);
    wait_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || !self->waiting_ || !self->owner_) return;
      self->waiting_ = false;
      self->log(io::log_level::warn, "the modems did not answer within " + seconds_of(self->owner_->timeout_) + " s");
      self->respond(http::status::service_unavailable, "the modems did not answer in time\n", true);
    });
  }

  /// True once, for the answer that came first; false after the timeout or a close.
  bool answered() {
    if (!owner_ || !std::exchange(waiting_, false)) return false;
    wait_.cancel();
    return true;
  }

  /// A refused request: its status and reason, then closed.
  void fail(http::status status, const std::string& why) {
    log(io::log_level::debug, why + ": " + std::to_string(static_cast<int>(status)));
    version_ = 11;
    head_ = false;
    respond(status, why + "\n", true);
  }

  void respond(http::status status, std::string body, bool close, std::string_view type = "text/plain; charset=utf-8") {
    res_ = {};
    res_.result(status);
    res_.version(version_ == 10 ? 10 : 11);
    res_.set(http::field::server, "nt35e-sim");
    res_.set(http::field::content_type, type);
    if (std::exchange(allow_, false)) res_.set(http::field::allow, "GET, HEAD");
    if (std::exchange(bearer_, false)) res_.set(http::field::www_authenticate, "Bearer realm=\"nt35e-sim\"");
    res_.content_length(body.size());  // HEAD: the length GET would have, without the body
    if (!head_) res_.body() = std::move(body);
    res_.keep_alive(keep_alive_ && !close);
    stream_.expires_after(owner_->timeout_);  // a client that does not read its answer is dropped
    http::async_write(stream_, res_, [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
      if (!self->owner_) return;
      if (ec) return self->finish();
      if (!self->res_.keep_alive()) return self->linger();
      self->do_read();
    });
  }

  /// After a last answer: stop sending and drain what the client still sends for a
  /// moment (closing with unread input would reset the connection and could lose the answer).
  void linger() {
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](const beast::error_code& ec, std::size_t n) {
                              self->drained_ += n;
                              // A client that keeps sending is not worth more of this thread.
                              if (ec || !self->owner_ || self->drained_ > 64 * 1024) return self->finish();
                              self->drain();
                            });
  }

  /// Closes and tells the owner once.
  void finish() {
    boost::system::error_code ignored;
    waiting_ = false;
    wait_.cancel();
    stream_.socket().close(ignored);
    if (auto* owner = std::exchange(owner_, nullptr)) owner->forget(this);
  }

  void log(io::log_level level, const std::string& text) {
    if (owner_) owner_->log_.log(level, "metrics client " + peer_ + ": " + text);
  }

  beast::tcp_stream stream_;
  metrics_server* owner_;
  net::steady_timer wait_;  ///< how long the modems may take (await_modems)
  std::string peer_;
  beast::flat_buffer buffer_{max_header_bytes + 1024};  ///< bounded: a longer header fails as too long
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> res_;
  std::array<char, 4096> scratch_{};
  std::size_t drained_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  bool waiting_ = false;
  bool allow_ = false;   ///< the next answer carries "Allow"
  bool bearer_ = false;  ///< the next answer carries "WWW-Authenticate"
};

// ---------------------------------------------------------------------------
// Server

metrics_server::metrics_server(net::any_io_executor ex, tcp::endpoint where,
                               std::shared_ptr<const control::fleet_target> f, build_info info, io::logger& log)
    : ex_(std::move(ex)),
      wanted_(where),
      acceptor_(ex_),
      fleet_(std::move(f)),
      info_(std::move(info)),
      log_(log),
      started_(std::chrono::steady_clock::now()) {}

metrics_server::~metrics_server() { stop(); }

void metrics_server::start() {
  if (auto refusal = io::listener_refusal("--metrics", wanted_, token_.has_value(), "--metrics-token-file");
      !refusal.empty())
    throw io::startup_error(refusal);
  bound_ = io::open_listener(acceptor_, wanted_, "--metrics: ");
  log_.log(io::log_level::info, "metrics endpoint listening on http://" + io::to_string(bound_) + "/metrics");
  if (token_) log_.log(io::log_level::info, "the metrics endpoint requires a bearer token for /metrics");
  do_accept();
}

void metrics_server::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& c : std::exchange(clients_, {})) c->close();
  report_refused();
  report_unauthorized();
}

void metrics_server::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopped_) return;
    if (ec) {
      log_.log(io::log_level::warn, "metrics endpoint: accept failed: " + ec.message());
    } else {
      auto c = std::make_shared<connection>(std::move(socket), *this);
      clients_.push_back(c);
      if (clients_.size() > max_clients) {
        if (refused_.count())
          log_.log(io::log_level::warn, "metrics client " + c->peer() + " refused: too many clients (at most " +
                                            std::to_string(max_clients) +
                                            " at once); further refusals are counted until one leaves");
        c->refuse_busy();
      } else {
        log_.log(io::log_level::debug, "metrics client " + c->peer() + " connected");
        c->start();
      }
    }
    do_accept();
  });
}

void metrics_server::forget(connection* c) {
  // The connection keeps itself alive through its handlers' shared_ptr copies.
  std::erase_if(clients_, [c](const std::shared_ptr<connection>& p) { return p.get() == c; });
  if (clients_.size() < max_clients) report_refused();
}

void metrics_server::report_refused() {
  if (auto n = refused_.end())
    log_.log(io::log_level::warn, std::to_string(n) + " metrics clients were refused in all (too many clients)");
}

void metrics_server::report_unauthorized() {
  if (auto n = unauthorized_.end())
    log_.log(io::log_level::warn, std::to_string(n) + " metrics requests were refused in all (no or wrong token)");
}

}  // namespace nt35e::exporter
