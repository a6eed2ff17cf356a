#pragma once
// The offline backend: mqtt::loopback_broker's timed events played on an Asio
// executor. Used when no --live broker is asked for.
//
// Thread safety: submit() and every event happen on the executor given.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>

#include "modem/profile.hpp"
#include "mqtt/backend.hpp"
#include "mqtt/loopback_broker.hpp"

namespace nt35e::scripted {

class loopback_backend : public mqtt::backend {
 public:
  loopback_backend(boost::asio::any_io_executor ex, const modem::profile& profile);
  ~loopback_backend() override;
  void submit(mqtt::any_request r) override;

 private:
  void arm();

  boost::asio::any_io_executor ex_;
  mqtt::loopback_broker broker_;
  /// Pending events by due time; a multimap keeps insertion order for equal times.
  std::multimap<std::chrono::steady_clock::time_point, mqtt::any_event> due_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace nt35e::scripted
