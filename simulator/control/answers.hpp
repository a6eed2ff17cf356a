#pragma once
// How the control channel's answers look (control/protocol.hpp has the requests): JSON
// objects with their keys in the order written, "ok" first, sent as one line. Pure: the
// values come from the caller.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/protocol.hpp"
#include "metrics/line_metrics.hpp"
#include "modem/snapshot.hpp"
#include "oracle/verdict.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::control {

/// An answer; ordered, so that "ok" comes first and the fields keep their documented order.
using answer = nlohmann::ordered_json;

/// The answer as sent: compact, invalid UTF-8 replaced, without a line end.
std::string format(const answer& a);

/// {"ok":false,"error":sentence}
answer error_answer(const std::string& sentence);

/// Appends the fields of `fields` (an object) to `a`, in their order.
void append_fields(answer& a, const answer& fields);

/// The "query": "state" answer's fields (without "ok"), in the snapshot's order.
answer to_json(const modem::snapshot& s);
/// The "query": "metrics" answer's fields (without "ok").
answer to_json(const metrics::modem_metrics& m);

/// {"ok":true, <the state's fields>}
answer state_answer(const modem::snapshot& s);
/// {"ok":true, <the metrics' fields>}
answer metrics_answer(const metrics::modem_metrics& m);

/// {"ok":true, <the verdict's fields, as --verdict-json writes them>}; `modem` is added
/// after "ok" when given (a fleet's "modem": 3).
answer verdict_answer(const oracle::verdict& v, std::optional<std::size_t> modem = std::nullopt);

/// The "query": "help" answer; with `fleet`, the fleet's requests too (modems 0 to size - 1).
answer help_answer(bool fleet, std::size_t size);

/// The "fired" value of a "fire", "deliver" or "network" request: one action or a list.
answer fired_value(const action_request& r);

/// The answer to a "fleet" request: the action, how many and which modems, and the seed
/// and stagger used, if any.
answer fleet_fired_answer(const scenario::action& a, const std::vector<std::size_t>& modems,
                          std::optional<std::uint64_t> seed, std::optional<scenario::duration> stagger);

}  // namespace nt35e::control
