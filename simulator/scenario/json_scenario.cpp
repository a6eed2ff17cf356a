// The top level of a scenario: its profile and settings (which fix the ECMT ids the
// rest may use), name, description, time scale and network timeline; the broker,
// rules and fleet are read by their own files.

#include "modem/profile.hpp"
#include "oracle/rules.hpp"
#include "scenario/json_detail.hpp"

namespace nt35e::scenario::json_detail {

void checker::read_scenario(const json& root, scenario& s) {
  if (!check_object(root, "", keys_of("scenario"))) return;
  std::string ignored;
  read_string(root, "", "$schema", ignored);
  read_profile_and_settings(root, s);
  read_string(root, "", "name", s.name);
  read_string(root, "", "description", s.description);
  if (auto it = root.find("time_scale"); it != root.end()) {
    if (!it->is_number() || !(it->get<double>() > 0) || it->get<double>() > 1000)
      error("/time_scale", "expected a number above 0 and at most 1000 (0.05: twenty times faster), got " + got(*it));
    else
      s.time_scale = it->get<double>();
  }
  if (auto it = root.find("uart"); it != root.end() && check_object(*it, "/uart", keys_of("uart"))) {
    int baud = 0;
    if (read_int(*it, "/uart", "baud", baud, static_cast<long long>(modem::min_baud),
                 static_cast<long long>(modem::max_baud)))
      s.uart.baud = baud;
    if (auto f = it->find("fragment"); f != it->end()) {
      if (f->is_number_unsigned())
        s.uart.fragment_seed = f->get<std::uint64_t>();
      else
        error("/uart/fragment", "expected a seed, a whole number from 0 to 18446744073709551615, got " + got(*f));
    }
  }
  if (auto it = root.find("network"); it != root.end()) read_network(*it, s.network);
  if (auto it = root.find("broker"); it != root.end()) read_broker(*it, s.broker);
  if (auto it = root.find("oracle"); it != root.end()) read_oracle(*it, s.oracle);
  read_expect(root, s);
  read_array(root, "", "rules", [&](const json& e, const std::string& at) {
    rule r;
    read_rule(e, at, s.rules.size(), r);
    s.rules.push_back(std::move(r));
  });
}

void checker::read_profile_and_settings(const json& root, scenario& s) {
  modem::profile scratch;
  if (read_string(root, "", "profile", s.profile)) {
    if (auto p = modem::builtin_profile(s.profile)) {
      scratch = *p;
    } else {
      error("/profile", unknown("profile", s.profile, profile_names));
    }
  }
  bool max_from_setting = false;
  if (auto it = root.find("settings"); it != root.end()) {
    if (expect(*it, "/settings", json::value_t::object, "an object of setting names and string values")) {
      static const auto names = split_names(modem::profile_field_names());
      for (const auto& [name, value] : members(*it, "/settings")) {
        const auto at = child("/settings", name);
        if (std::find(names.begin(), names.end(), name) == names.end()) {
          if (closest(name, names))
            error(at, unknown("setting", name, names), true);
          else
            error(at, modem::set_profile_field(scratch, name, ""), true);
          continue;
        }
        if (!value->is_string()) {
          error(at, "expected a string (settings are written as for --set), got " + json_type_name(*value));
          continue;
        }
        if (name == "show_secrets") {
          // A scenario is passed around a team; unmasking passwords in someone's logs
          // and traces is the choice of whoever runs the simulator, not of the file.
          error(at, "show_secrets cannot be set by a scenario; give --show-secrets on the command line");
          continue;
        }
        auto why = modem::set_profile_field(scratch, name, value->get<std::string>());
        if (!why.empty()) {
          error(at, why);
          continue;
        }
        if (name == "max_id") max_from_setting = true;
        s.settings.emplace_back(name, value->get<std::string>());
      }
    }
  }
  max_id = scratch.max_ecmt_id;
  set_id_scope(scratch.name, max_from_setting);
}

void checker::read_oracle(const json& obj, scenario::oracle_script& o) {
  if (!check_object(obj, "/oracle", keys_of("oracle"))) return;
  oracle::config probe;
  if (read_string(obj, "/oracle", "mode", o.mode))
    if (auto why = oracle::set_mode(probe, o.mode); !why.empty()) error("/oracle/mode", why);
  if (auto it = obj.find("rules"); it != obj.end() && expect(*it, "/oracle/rules", json::value_t::object,
                                                             "an object of rule ids and \"on\" or \"off\"")) {
    for (const auto& [id, value] : members(*it, "/oracle/rules")) {
      const auto at = child("/oracle/rules", id);
      if (!value->is_string()) {
        error(at, "expected \"on\" or \"off\", got " + json_type_name(*value));
        continue;
      }
      auto text = id + "=" + value->get<std::string>();
      if (auto why = oracle::set_rule(probe, text); !why.empty())
        error(at, why, !oracle::find_rule(id));
      else
        o.rules.push_back(text);
    }
  }
  if (auto it = obj.find("set"); it != obj.end() && expect(*it, "/oracle/set", json::value_t::object,
                                                           "an object of \"ID.name\" keys and numbers")) {
    for (const auto& [key, value] : members(*it, "/oracle/set")) {
      const auto at = child("/oracle/set", key);
      if (!value->is_number()) {
        error(at, "expected a number, got " + json_type_name(*value));
        continue;
      }
      auto text = key + "=" + value->dump();
      if (auto why = oracle::set_threshold(probe, text); !why.empty())
        error(at, why);
      else
        o.thresholds.push_back(text);
    }
  }
}

void checker::read_network(const json& obj, network_script& n) {
  const std::string ptr = "/network";
  if (!check_object(obj, ptr, keys_of("network"))) return;
  std::string reg;
  if (read_string(obj, ptr, "registration", reg)) {
    auto it = std::find_if(registrations.begin(), registrations.end(), [&](auto& r) { return r.first == reg; });
    if (it != registrations.end()) {
      n.registration = it->second;
    } else {
      std::vector<std::string> names;
      for (auto& r : registrations) names.push_back(r.first);
      error(child(ptr, "registration"), unknown("registration", reg, names));
    }
  }
  read_opt_duration(obj, ptr, "registration_delay", n.registration_delay);
  read_signal(obj, ptr, signal_ranges[0], n.rssi);
  read_signal(obj, ptr, signal_ranges[1], n.ber);
  read_signal(obj, ptr, signal_ranges[2], n.rsrq);
  read_signal(obj, ptr, signal_ranges[3], n.rsrp);
  read_bool(obj, ptr, "sim", n.sim);
}

}  // namespace nt35e::scenario::json_detail
