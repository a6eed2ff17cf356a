#include "scripted/loopback_backend.hpp"

namespace nt35e::scripted {

loopback_backend::loopback_backend(boost::asio::any_io_executor ex, const modem::profile&)
    : ex_(ex), timer_(ex) {}

loopback_backend::~loopback_backend() {
  *alive_ = false;
  timer_.cancel();
}

void loopback_backend::submit(mqtt::any_request r) {
  auto now = std::chrono::steady_clock::now();
  for (auto& [delay, event] : broker_.handle(r)) due_.emplace(now + std::chrono::milliseconds(delay), std::move(event));
  arm();
}

void loopback_backend::arm() {
  if (due_.empty()) return;
  timer_.expires_at(due_.begin()->first);
  timer_.async_wait([this, alive = alive_](boost::system::error_code ec) {
    if (!*alive || ec) return;
    auto now = std::chrono::steady_clock::now();
    while (!due_.empty() && due_.begin()->first <= now) {
      auto node = due_.extract(due_.begin());
      emit(std::move(node.mapped()));
    }
    arm();
  });
}

}  // namespace nt35e::scripted
