#pragma once
// Drives the sans-I/O interpreter with a manual clock and the scripted broker,
// so a unit test reads like a terminal session and never sleeps.

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/offline_modem.hpp"
#include "modem/modem.hpp"
#include "scenario/apply.hpp"
#include "scenario/scripted_broker.hpp"

namespace nt35e::test {

class core_harness {
 public:
  using ms = std::chrono::milliseconds;

  explicit core_harness(modem::profile p = *modem::builtin_profile("nt35e"), bool with_broker = true,
                        const scenario::scenario& world = {})
      : core_(std::move(p), world, with_broker) {}

  /// A module playing `world`: its profile and settings folded in as the simulator does.
  static std::unique_ptr<core_harness> for_world(const scenario::scenario& world, bool with_broker = true) {
    modem::profile p;
    if (auto error = scenario::apply(world, p); !error.empty()) throw std::invalid_argument(error);
    return std::make_unique<core_harness>(p, with_broker, world);
  }

  /// Runs past the boot banner and registration, then forgets the output.
  void boot_and_register() {
    run_for(ms(4000));
    take_output();
  }

  /// Sends bytes at the current time.
  void send(std::string_view bytes) { core_.send(bytes); }

  /// Moves time forward, firing every deadline and broker event on the way.
  void run_for(ms d) { core_.run_until(core_.now() + d); }

  /// Sends a line (CR added) and runs `d` of time; returns what the module wrote.
  std::string exchange(std::string_view line, ms d = ms(100)) {
    take_output();
    send(std::string(line) + "\r");
    run_for(d);
    return take_output();
  }

  /// Injects a backend event now.
  void event(mqtt::any_event ev) { core_.event(ev); }
  /// Fires a scenario action now, as the control channel does.
  void fire(const scenario::action& a) { core_.fire(a); }
  modem::snapshot snapshot() const { return core_.snapshot(); }

  std::string take_output() { return core_.take_output(); }
  std::vector<mqtt::any_request> take_requests() { return core_.take_requests(); }
  const std::vector<modem::log_record>& logs() const { return core_.logs(); }
  bool logged_reason(std::string_view reason) const {
    for (const auto& l : logs())
      if (l.reason == reason) return true;
    return false;
  }
  std::string log_text() const {
    std::string out;
    for (const auto& l : logs()) out += "[" + l.reason + "] " + l.text + "\n";
    return out;
  }
  const modem::modem& modem() const { return core_.state(); }
  modem::time_point now() const { return core_.now(); }
  scenario::scripted_broker& broker() { return core_.broker(); }

 private:
  engine::offline_modem core_;
};

}  // namespace nt35e::test
