#include "paho/dialer.hpp"

#include <boost/asio/post.hpp>

#include <filesystem>
#include <stdexcept>
#include <utility>

namespace nt35e::paho::detail {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

bool is_ip_literal(const std::string& host) {
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

/// A TLS client context per AT+ECMTCFG="ssl": chain checked against the CA file (the
/// system store when none is given), no host name check (the module checks the chain
/// only), client certificate and key for mode 2. Throws with a readable sentence.
std::shared_ptr<ssl::context> make_tls_context(const nt35e::mqtt::tls_options& tls) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
  ctx->set_verify_mode(ssl::verify_peer);
  auto need = [](const std::string& what, const std::string& path) {
    std::error_code fec;
    if (path.empty() || !std::filesystem::is_regular_file(path, fec))
      throw std::runtime_error("TLS: " + what + " file \"" + path + "\" not found");
  };
  error_code ec;
  if (!tls.ca_file.empty()) {
    need("CA", tls.ca_file);
    ctx->load_verify_file(tls.ca_file, ec);
    if (ec) throw std::runtime_error("TLS: cannot load CA file \"" + tls.ca_file + "\": " + ec.message());
  } else {
    ctx->set_default_verify_paths(ec);
  }
  if (tls.mode >= 2) {
    need("client certificate", tls.cert_file);
    need("client key", tls.key_file);
    ctx->use_certificate_chain_file(tls.cert_file, ec);
    if (ec) throw std::runtime_error("TLS: cannot load client certificate \"" + tls.cert_file + "\": " + ec.message());
    ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec);
    if (ec) throw std::runtime_error("TLS: cannot load client key \"" + tls.key_file + "\": " + ec.message());
  }
  return ctx;
}

}  // namespace

std::string endpoint_text(const tcp::endpoint& ep) {
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

dialer::dialer(asio::any_io_executor ex, nt35e::mqtt::host_port target, std::string sni, nt35e::mqtt::tls_options tls,
               std::optional<tcp::endpoint> known, std::chrono::milliseconds limit)
    : ex_(ex),
      resolver_(ex),
      timer_(ex),
      target_(std::move(target)),
      sni_(std::move(sni)),
      tls_(std::move(tls)),
      known_(known),
      limit_(limit) {}

void dialer::start(done_fn done) {
  done_ = std::move(done);
  auto self = shared_from_this();
  if (tls_.mode > 0) {
    try {
      ctx_ = make_tls_context(tls_);
    } catch (const std::exception& e) {
      asio::post(ex_, [self, why = std::string(e.what())] { self->fail(why); });
      return;
    }
  }
  if (known_) {
    asio::post(ex_, [self] { self->connect(*self->known_); });
    return;
  }
  resolver_.async_resolve(
      target_.host, std::to_string(target_.port), tcp::resolver::numeric_service,
      [self](const error_code& ec, const tcp::resolver::results_type& results) { self->on_resolved(ec, results); });
}

void dialer::cancel() {
  if (finished_) return;
  finished_ = true;
  done_ = nullptr;
  resolver_.cancel();
  timer_.cancel();
  if (link_) link_->close();
}

void dialer::on_resolved(const error_code& ec, const tcp::resolver::results_type& results) {
  if (finished_) return;
  if (ec) return fail("DNS: " + target_.host + ": " + ec.message());
  std::optional<tcp::endpoint> pick;
  for (const auto& r : results) {
    if (r.endpoint().address().is_v4()) {
      pick = r.endpoint();
      break;
    }
    if (!pick) pick = r.endpoint();
  }
  if (!pick) return fail("DNS: " + target_.host + ": no address");
  connect(*pick);
}

void dialer::connect(const tcp::endpoint& ep) {
  if (finished_) return;
  endpoint_ = ep;
  if (ctx_)
    link_ = std::make_unique<tls_upstream>(ex_, ctx_);
  else
    link_ = std::make_unique<plain_upstream>(ex_);
  auto self = shared_from_this();
  timer_.expires_after(limit_);
  timer_.async_wait([self](const error_code& ec) {
    if (ec || self->finished_) return;
    self->timed_out_ = true;
    self->link_->close();  // the pending connect / handshake ends with operation_aborted
  });
  link_->socket().async_connect(ep, [self](const error_code& ec) { self->on_connected(ec); });
}

void dialer::on_connected(const error_code& ec) {
  if (finished_) return;
  if (timed_out_) return fail("TCP: " + endpoint_text(*endpoint_) + ": connect timed out");
  if (ec) return fail("TCP: " + endpoint_text(*endpoint_) + ": " + ec.message());
  error_code ignore;
  link_->socket().set_option(tcp::no_delay(true), ignore);
  if (!ctx_) return succeed();
  auto& tls = static_cast<tls_upstream&>(*link_).stream();
  // SNI only for a name: RFC 6066 forbids an IP literal there.
  if (!sni_.empty() && !is_ip_literal(sni_)) SSL_set_tlsext_host_name(tls.native_handle(), sni_.c_str());
  auto self = shared_from_this();
  tls.async_handshake(ssl::stream_base::client, [self](const error_code& hec) {
    if (self->finished_) return;
    if (self->timed_out_) return self->fail("TLS: handshake timed out");
    if (hec) return self->fail("TLS: handshake failed: " + hec.message());
    self->succeed();
  });
}

void dialer::succeed() {
  finished_ = true;
  timer_.cancel();
  auto done = std::move(done_);
  if (done) done(result{std::move(link_), endpoint_text(*endpoint_), endpoint_});
}

void dialer::fail(std::string why) {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  if (link_) link_->close();
  auto done = std::move(done_);
  if (done) done(result{nullptr, std::move(why), std::nullopt});
}

}  // namespace nt35e::paho::detail
