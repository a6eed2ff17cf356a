#pragma once
// The virtual module without any I/O: bytes, backend events and time go in,
// actions (bytes to write, MQTT requests, log records) come out.
//
// Thread safety: none; the session owning it calls it from one executor.

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "modem/action.hpp"
#include "modem/clock.hpp"
#include "modem/profile.hpp"
#include "modem/snapshot.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::modem {
class modem;
}

namespace nt35e::engine {

class interpreter {
 public:
  /// Powers the module on at `now`: the ECRDY banner follows after the boot delay.
  /// The scenario's rules, network and scripted-broker faults apply from then on
  /// (its profile and settings are already folded into `profile` by the caller).
  interpreter(modem::profile profile, modem::time_point now, const scenario::scenario& world = {});
  /// The same with a profile shared read-only (a fleet's session keeps it too): the
  /// modem copies it only if it changes it at run time.
  interpreter(std::shared_ptr<const modem::profile> profile, modem::time_point now,
              const scenario::scenario& world = {});
  ~interpreter();
  interpreter(const interpreter&) = delete;
  interpreter& operator=(const interpreter&) = delete;

  /// Bytes from the DTE.
  modem::actions feed(std::string_view bytes, modem::time_point now);
  /// An event from the MQTT backend.
  modem::actions on_mqtt_event(const mqtt::any_event& event, modem::time_point now);
  /// Runs everything due at or before `now`.
  modem::actions on_timer(modem::time_point now);
  /// When on_timer should be called next; empty when nothing is scheduled.
  std::optional<modem::time_point> next_deadline() const;

  /// Tells the module the host's UTC time (seconds since 1970) at `now`, for AT+CCLK:
  /// the core reads no wall clock of its own.
  void set_utc(std::int64_t utc_seconds, modem::time_point now);

  /// Carries out one action now, as a scenario rule would (the control channel's "fire").
  modem::actions fire(const scenario::action& action, modem::time_point now);

  /// Read-only view of the module for tests, the control channel and logs.
  const modem::modem& state() const;
  /// The same as plain data.
  modem::snapshot take_snapshot(modem::time_point now) const;

 private:
  void advance(modem::time_point now);
  struct impl;
  std::unique_ptr<modem::modem> modem_;
  std::unique_ptr<impl> impl_;
};

}  // namespace nt35e::engine
