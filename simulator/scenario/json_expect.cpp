// Expectations ("expect"): what the driver must do, one object per duty with a "kind"
// and the fields of that kind (docs/oracle.md, "Expectations"). The oracle judges them;
// this file decides which are valid.

#include "scenario/json_detail.hpp"

namespace nt35e::scenario {

namespace {

/// Per kind: every field it takes, and how many of them (the first ones) it needs.
struct expect_fields {
  std::vector<std::string> keys;
  std::size_t required = 0;
};

expect_fields fields_of(expect_kind k) {
  switch (k) {
    case expect_kind::reconnect:
      return {{"within", "after_loss", "after_loss_at", "subscribe", "resubscribe"}, 1};
    case expect_kind::connect:
      return {{"within"}, 1};
    case expect_kind::subscribe:
      return {{"topic", "within"}, 2};
    case expect_kind::publish:
      return {{"topic", "every"}, 2};
    case expect_kind::never_publish:
      return {{"topic", "qos"}, 1};
    case expect_kind::back_off:
      return {{"at_least"}, 1};
  }
  return {};
}

}  // namespace

std::vector<std::string> expect_keys(expect_kind k) { return fields_of(k).keys; }

std::vector<std::string> expect_required_keys(expect_kind k) {
  auto f = fields_of(k);
  f.keys.resize(f.required);
  return f.keys;
}

}  // namespace nt35e::scenario

namespace nt35e::scenario::json_detail {

namespace {

/// Every key some kind accepts (to tell "does not apply" from "unknown").
std::vector<std::string> every_expect_key() {
  std::vector<std::string> all;
  for (const auto& n : expect_kind_names())
    for (auto& key : expect_keys(*expect_kind_from_string(n)))
      if (std::find(all.begin(), all.end(), key) == all.end()) all.push_back(key);
  return all;
}

}  // namespace

void checker::read_expect(const json& root, scenario& s) {
  read_array(root, "", "expect", [&](const json& e, const std::string& at) {
    expectation x;
    if (read_expectation(e, at, x)) s.expect.push_back(std::move(x));
  });
}

bool checker::read_expectation(const json& j, const std::string& ptr, expectation& x) {
  static const auto every_key = every_expect_key();
  if (!expect(j, ptr, json::value_t::object, "an object with a \"kind\"")) return false;
  const std::size_t before = problems.size();
  auto kind_it = j.find("kind");
  if (kind_it == j.end()) {
    std::vector<std::string> known = {"name", "kind"};
    known.insert(known.end(), every_key.begin(), every_key.end());
    auto hinted = check_object(j, ptr, known);
    require(j, ptr, "kind", *hinted, "an expectation (" + join(expect_kind_names()) + ")");
    return false;
  }
  if (!expect(*kind_it, child(ptr, "kind"), json::value_t::string, "an expectation kind")) return false;
  const auto name = kind_it->get<std::string>();
  const auto kind = expect_kind_from_string(name);
  if (!kind) {
    error(child(ptr, "kind"), unknown("expectation kind", name, expect_kind_names()));
    return false;
  }
  x = expectation{};
  x.kind = *kind;
  const auto keys = expect_keys(*kind);
  std::vector<std::string> known = {"name", "kind"};
  known.insert(known.end(), keys.begin(), keys.end());
  auto hinted = check_object(j, ptr, known, [&](const std::string& key) -> std::optional<std::string> {
    if (std::find(every_key.begin(), every_key.end(), key) == every_key.end()) return std::nullopt;
    return quote(key) + " does not apply to a " + name + " expectation (its fields: " + join(keys) + ")";
  });
  for (const auto& key : expect_required_keys(*kind)) require(j, ptr, key, *hinted, "a " + name + " expectation");
  read_string(j, ptr, "name", x.name);

  // A time the driver is given: zero would be a duty no driver can meet.
  auto positive = [&](const std::string& key, duration& out) {
    if (read_duration(j, ptr, key, out) && out.count() <= 0) error(child(ptr, key), "expected a time above 0");
  };
  switch (x.kind) {
    case expect_kind::reconnect:
      if (j.contains("after_loss") && j.contains("after_loss_at"))
        error(child(ptr, "after_loss_at"),
              "give \"after_loss\" (the Nth link loss) or \"after_loss_at\" (the first loss at or after a time), "
              "not both",
              true);
      else if (!read_int(j, ptr, "after_loss", x.after_loss, 1, INT_MAX))
        read_opt_duration(j, ptr, "after_loss_at", x.after_loss_at);
      positive("within", x.within);
      if (auto it = j.find("subscribe"); it != j.end()) {
        const auto at = child(ptr, "subscribe");
        if (it->is_string()) {
          std::string f;
          if (read_filter(j, ptr, "subscribe", f)) x.subscribe.push_back(f);
        } else if (it->is_array() && it->empty()) {
          error(at, "expected at least one topic filter, got an empty array");
        } else if (it->is_array()) {
          read_array(j, ptr, "subscribe", [&](const json& e, const std::string& here) {
            if (!e.is_string())
              error(here, "expected a topic filter, got " + json_type_name(e));
            else if (auto why = filter_problem(e.get<std::string>()); !why.empty())
              error(here, why);
            else
              x.subscribe.push_back(e.get<std::string>());
          });
        } else {
          error(at, "expected a topic filter or a non-empty array of them, got " + got(*it));
        }
      }
      read_bool(j, ptr, "resubscribe", x.resubscribe);
      break;
    case expect_kind::connect:
      positive("within", x.within);
      break;
    case expect_kind::subscribe:
      read_filter(j, ptr, "topic", x.topic);
      positive("within", x.within);
      break;
    case expect_kind::publish:
      read_filter(j, ptr, "topic", x.topic);
      positive("every", x.every);
      break;
    case expect_kind::never_publish: {
      read_filter(j, ptr, "topic", x.topic);
      int qos = 0;
      if (read_int(j, ptr, "qos", qos, 0, 2)) x.qos = qos;
      break;
    }
    case expect_kind::back_off:
      positive("at_least", x.at_least);
      break;
  }
  return problems.size() == before;
}

}  // namespace nt35e::scenario::json_detail
