#pragma once
// The oracle's rules (issue 15): what a driver must not do on the DTE side of an NT35E,
// each with a stable id that cites the spec (like MQTT's normative ids), a severity, and
// its tunable thresholds. The English and Chinese texts are in the explanation table
// (explain::find_rule); this file is the catalogue and the settings a user may change
// (--oracle-rule ID=off, --oracle-set ID.name=VALUE, the scenario's "oracle" key).
// Pure data: no I/O.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace nt35e::oracle {

enum class severity {
  error,
  warning
};
std::string_view to_string(severity s);

/// One tunable number of a rule ("NT35E-ECMT-NO-RECOVERY.within_s").
struct threshold {
  std::string_view name;   ///< "within_s"
  double value;            ///< the default
  std::string_view about;  ///< what it means, for --help and docs/oracle.md
};

/// One rule.
struct rule {
  std::string_view id;                  ///< stable: "NT35E-ECMT-CONN-BEFORE-OPEN"
  severity level;                       ///< error or warning
  bool breaks_real_module;              ///< kept by --verdict-mode lenient
  std::span<const threshold> settings;  ///< its thresholds (may be empty)
};

/// Every rule, in the order the verdict lists them.
std::span<const rule> rules();
/// The rule with this id (exact, upper case); nullptr when there is none.
const rule* find_rule(std::string_view id);

/// Which rules run and with which thresholds.
struct config {
  bool lenient = false;                  ///< --verdict-mode lenient
  std::map<std::string, bool> enabled;   ///< by id; absent: on
  std::map<std::string, double> values;  ///< "ID.name" -> value; absent: the default

  /// Whether rule `id` runs (off when disabled, or when lenient and it does not break the module).
  bool runs(std::string_view id) const;
  /// The value of threshold `name` of rule `id` (the default when not set).
  double value(std::string_view id, std::string_view name) const;
};

/// Applies "ID=on|off" (--oracle-rule); returns an error sentence or "".
std::string set_rule(config& c, std::string_view text);
/// Applies "ID.name=VALUE" (--oracle-set); returns an error sentence or "".
std::string set_threshold(config& c, std::string_view text);
/// Applies "strict" or "lenient" (--verdict-mode); returns an error sentence or "".
std::string set_mode(config& c, std::string_view text);

}  // namespace nt35e::oracle
