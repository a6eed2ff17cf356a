#pragma once
// An MQTT backend for unit tests (mqtt::backend): records what the modem asks for and
// sends back exactly the events the test hands it, when the test hands them.
//
// Thread safety: none; call deliver() on the session's executor (the test's thread while
// it runs the io_context), as a real backend does.

#include <utility>
#include <vector>

#include "mqtt/backend.hpp"

namespace nt35e::test {

class fake_backend final : public mqtt::backend {
 public:
  void submit(mqtt::any_request r) override {
    const auto* publish = std::get_if<mqtt::request::publish>(&r);
    const bool refuse = publish && refuse_publishes_;
    const mqtt::event::published refusal{publish ? publish->id : 0, publish ? publish->msg_id : 0, 2, true};
    requests_.push_back(std::move(r));
    // As paho_backend does when too many publishes are unfinished: from inside submit().
    if (refuse) emit(refusal);
  }

  /// From now on, answers every publish at once, inside submit(), with result 2 (refused).
  void refuse_publishes() { refuse_publishes_ = true; }

  /// Hands `e` to the session now, as the network's answer.
  void deliver(mqtt::any_event e) { emit(std::move(e)); }

  /// Every request submitted so far, in order.
  [[nodiscard]] const std::vector<mqtt::any_request>& requests() const { return requests_; }

  void pause_receiving(bool paused) override { pauses_.push_back(paused); }
  /// Every pause_receiving() call so far, in order.
  [[nodiscard]] const std::vector<bool>& pauses() const { return pauses_; }

 private:
  std::vector<bool> pauses_;
  std::vector<mqtt::any_request> requests_;
  bool refuse_publishes_ = false;
};

}  // namespace nt35e::test
