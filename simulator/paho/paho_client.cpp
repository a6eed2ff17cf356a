#include "paho/paho_client.hpp"

#include <boost/asio/post.hpp>

namespace nt35e::paho::detail {

void* op_context(op_kind k, int msg_id) {
  const auto v = (static_cast<std::uintptr_t>(k) << 17) | static_cast<std::uintptr_t>(msg_id & 0xFFFF);
  return reinterpret_cast<void*>(v);  // NOLINT: an integer carried through Paho's void*
}

std::pair<op_kind, int> op_decode(void* ctx) {
  const auto v = reinterpret_cast<std::uintptr_t>(ctx);
  return {static_cast<op_kind>(v >> 17), static_cast<int>(v & 0xFFFF)};
}

template <class F>
void callbacks::post(F&& f) {
  boost::asio::post(ex_, [w = owner_, id = id_, gen = gen_, f = std::forward<F>(f)]() mutable {
    if (auto s = w.lock()) f(*s, id, gen);
  });
}

void callbacks::connection_lost(const std::string& cause) {
  post([cause](client_events& s, int id, std::uint64_t gen) { s.on_lost(id, gen, cause); });
}

void callbacks::on_success(const ::mqtt::token& tok) {
  const auto [kind, msg_id] = op_decode(tok.get_user_context());
  post([kind = kind, msg_id = msg_id](client_events& s, int id, std::uint64_t gen) {
    s.on_op(id, gen, kind, msg_id, 0, {});
  });
}

void callbacks::on_failure(const ::mqtt::token& tok) {
  const auto [kind, msg_id] = op_decode(tok.get_user_context());
  const int rc = tok.get_return_code();
  std::string why;
  try {
    // The token is complete and not locked here; try_wait() rethrows its error,
    // which is the only way Paho C++ 1.2 hands out the failure message.
    const_cast<::mqtt::token&>(tok).try_wait();  // NOLINT
  } catch (const ::mqtt::exception& e) {
    why = e.get_message().empty() ? e.get_error_str() : e.get_message();
  } catch (...) {}
  if (why.empty()) why = ::mqtt::exception::error_str(rc);
  // No call back into Paho from here: this can run inside MQTTAsync_destroy, with
  // Paho's global mutex held by the calling thread.
  post([kind = kind, msg_id = msg_id, rc, why](client_events& s, int id, std::uint64_t gen) {
    s.on_op(id, gen, kind, msg_id, rc, why);
  });
}

}  // namespace nt35e::paho::detail
