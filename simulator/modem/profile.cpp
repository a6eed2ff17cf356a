#include "modem/profile.hpp"

#include <charconv>
#include <functional>
#include <map>

#include "at/text.hpp"

namespace nt35e::modem {
namespace {

bool parse_int(std::string_view v, int& out) {
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc{} && ptr == v.data() + v.size();
}

bool parse_bool(std::string_view v, bool& out) {
  auto l = at::to_lower(v);
  if (l == "1" || l == "on" || l == "true" || l == "yes") return out = true, true;
  if (l == "0" || l == "off" || l == "false" || l == "no") return out = false, true;
  return false;
}

using setter = std::function<std::string(profile&, std::string_view)>;

setter int_field(int profile::*field, int min, int max) {
  return [=](profile& p, std::string_view v) -> std::string {
    int n = 0;
    if (!parse_int(v, n) || n < min || n > max)
      return "expects a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", got \"" +
             std::string(v) + "\"";
    p.*field = n;
    return {};
  };
}
setter bool_field(bool profile::*field) {
  return [=](profile& p, std::string_view v) -> std::string {
    if (!parse_bool(v, p.*field)) return "expects 0 or 1, got \"" + std::string(v) + "\"";
    return {};
  };
}
setter string_field(std::string profile::*field) {
  return [=](profile& p, std::string_view v) -> std::string {
    p.*field = std::string(v);
    return {};
  };
}
setter digits_field(std::string profile::*field, std::size_t len) {
  return [=](profile& p, std::string_view v) -> std::string {
    if (v.size() != len || v.find_first_not_of("0123456789") != std::string_view::npos)
      return "expects exactly " + std::to_string(len) + " digits, got \"" + std::string(v) + "\"";
    p.*field = std::string(v);
    return {};
  };
}
setter quirk_field(bool quirks::*field) {
  return [=](profile& p, std::string_view v) -> std::string {
    if (!parse_bool(v, p.quirk.*field)) return "expects on or off, got \"" + std::string(v) + "\"";
    return {};
  };
}
setter timing_field(int timings::*field) {
  return [=](profile& p, std::string_view v) -> std::string {
    int n = 0;
    auto num = v;
    if (num.size() > 2 && num.substr(num.size() - 2) == "ms") num.remove_suffix(2);
    if (!parse_int(num, n) || n < 0 || n > 3'600'000)
      return "expects milliseconds from 0 to 3600000, got \"" + std::string(v) + "\"";
    p.timing.*field = n;
    return {};
  };
}

const std::map<std::string, setter>& setters() {
  static const std::map<std::string, setter> table = [] {
    std::map<std::string, setter> t;
    t["style"] = [](profile& p, std::string_view v) -> std::string {
      auto l = at::to_lower(v);
      if (l == "compact")
        p.style = response_style::compact;
      else if (l == "spaced")
        p.style = response_style::spaced;
      else
        return "expects compact or spaced, got \"" + std::string(v) + "\"";
      return {};
    };
    t["imei"] = [](profile& p, std::string_view v) -> std::string {
      if (v.size() != 15 || v.find_first_not_of("0123456789") != std::string_view::npos)
        return "expects 15 digits, got \"" + std::string(v) + "\"";
      if (!luhn_valid(v)) return "\"" + std::string(v) + "\" fails the Luhn check a real IMEI passes";
      p.imei = std::string(v);
      return {};
    };
    t["echo"] = bool_field(&profile::echo);
    t["verbose"] = bool_field(&profile::verbose);
    t["quiet"] = bool_field(&profile::quiet);
    t["cmee"] = int_field(&profile::cmee, 0, 2);
    t["max_id"] = int_field(&profile::max_ecmt_id, 0, 4);
    t["banner"] = string_field(&profile::banner);
    t["manufacturer"] = string_field(&profile::manufacturer);
    t["model"] = string_field(&profile::model);
    t["revision"] = string_field(&profile::revision);
    t["svn"] = digits_field(&profile::svn, 2);
    t["imsi"] = digits_field(&profile::imsi, 15);
    t["iccid"] = [](profile& p, std::string_view v) -> std::string {
      if (v.size() < 19 || v.size() > 20) return "expects 19 or 20 characters, got \"" + std::string(v) + "\"";
      p.iccid = std::string(v);
      return {};
    };
    t["sim"] = [](profile& p, std::string_view v) -> std::string {
      auto l = at::to_lower(v);
      if (l == "ready")
        p.sim_present = true;
      else if (l == "absent")
        p.sim_present = false;
      else
        return "expects ready or absent, got \"" + std::string(v) + "\"";
      return {};
    };
    t["apn"] = string_field(&profile::apn);
    t["ipv4"] = string_field(&profile::ipv4);
    t["csq"] = int_field(&profile::csq_rssi, 0, 31);
    t["registration"] = [](profile& p, std::string_view v) -> std::string {
      int n = 0;
      if (!parse_int(v, n) || (n != 1 && n != 5 && n != 3 && n != 0 && n != 2))
        return "expects 0, 1, 2, 3 or 5, got \"" + std::string(v) + "\"";
      p.registration_result = n;
      return {};
    };
    t["cereg"] = int_field(&profile::cereg_n, 0, 5);
    t["creg"] = int_field(&profile::creg_n, 0, 3);
    t["cgreg"] = int_field(&profile::cgreg_n, 0, 2);
    t["cmgf"] = int_field(&profile::cmgf, 0, 1);
    t["reject_cause"] = int_field(&profile::reject_cause, 0, 255);
    t["plmn"] = [](profile& p, std::string_view v) -> std::string {
      if (v.size() < 5 || v.size() > 6 || v.find_first_not_of("0123456789") != std::string_view::npos)
        return "expects 5 or 6 digits (MCC and MNC), got \"" + std::string(v) + "\"";
      p.plmn = std::string(v);
      return {};
    };
    t["operator_long"] = string_field(&profile::operator_long);
    t["operator_short"] = string_field(&profile::operator_short);
    t["msisdn"] = [](profile& p, std::string_view v) -> std::string {
      auto digits = v.substr(!v.empty() && v[0] == '+' ? 1 : 0);
      if (digits.find_first_not_of("0123456789") != std::string_view::npos || digits.size() > 20)
        return "expects up to 20 digits, optionally after a +, got \"" + std::string(v) + "\"";
      p.msisdn = std::string(v);
      return {};
    };
    t["edrx_act_type"] = int_field(&profile::edrx_act_type, 0, 5);
    t["cert_dir"] = string_field(&profile::cert_dir);
    t["cclk_write_refused"] = bool_field(&profile::cclk_write_refused);
    t["explain"] = [](profile& p, std::string_view v) -> std::string {
      if (v != "" && v != "en" && v != "zh") return "expects en or zh, got \"" + std::string(v) + "\"";
      p.explain = std::string(v);
      return {};
    };
    t["time_scale"] = [](profile& p, std::string_view v) -> std::string {
      double f = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), f);
      if (ec != std::errc{} || ptr != v.data() + v.size() || !(f > 0) || f > 1000)
        return "expects a factor above 0 and at most 1000 (0.05 = twenty times faster), got \"" + std::string(v) + "\"";
      p.time_scale = f;
      return {};
    };
    t["show_secrets"] = bool_field(&profile::show_secrets);
    // The UART (the session's writer paces and cuts the output by these).
    t["uart.baud"] = [](profile& p, std::string_view v) -> std::string {
      std::uint64_t n = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (v == "off" || v == "0") {
        p.uart.baud = 0;
        return {};
      }
      if (ec != std::errc{} || ptr != v.data() + v.size() || n < min_baud || n > max_baud)
        return "expects a rate in bits per second from " + std::to_string(min_baud) + " to " +
               std::to_string(max_baud) + " (such as 9600 or 115200) or off, got \"" + std::string(v) + "\"";
      p.uart.baud = static_cast<int>(n);
      return {};
    };
    t["uart.fragment"] = [](profile& p, std::string_view v) -> std::string {
      if (v == "off") {
        p.uart.fragment_seed.reset();
        return {};
      }
      std::uint64_t n = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (v.empty() || ec != std::errc{} || ptr != v.data() + v.size())
        return "expects a seed, a whole number from 0 to 18446744073709551615 (such as 42), or off, got \"" +
               std::string(v) + "\"";
      p.uart.fragment_seed = n;
      return {};
    };
    t["quirk.clientid_needs_all_three"] = quirk_field(&quirks::clientid_needs_all_three);
    t["quirk.connected_before_connack"] = quirk_field(&quirks::connected_before_connack);
    t["quirk.tls_open_always_ok"] = quirk_field(&quirks::tls_open_always_ok);
    t["quirk.no_ack_timeout"] = quirk_field(&quirks::no_ack_timeout);
    t["quirk.first_open_delay"] = quirk_field(&quirks::first_open_delay);
    t["quirk.stuck_while_reconnecting"] = quirk_field(&quirks::stuck_while_reconnecting);
    t["quirk.disc_in_opened_fails"] = quirk_field(&quirks::disc_in_opened_fails);
    t["quirk.connfail_then_connack"] = quirk_field(&quirks::connfail_then_connack);
    t["quirk.ampf_not_supported"] = quirk_field(&quirks::ampf_not_supported);
    t["quirk.cgreg_not_supported"] = quirk_field(&quirks::cgreg_not_supported);
    t["timing.basic_result"] = timing_field(&timings::basic_result);
    t["timing.cfg_ok"] = timing_field(&timings::cfg_ok);
    t["timing.conn_ok"] = timing_field(&timings::conn_ok);
    t["timing.ecmt_ok"] = timing_field(&timings::ecmt_ok);
    t["timing.urc_after_backend"] = timing_field(&timings::urc_after_backend);
    t["timing.open_ok"] = timing_field(&timings::open_ok);
    t["timing.first_open_ok"] = timing_field(&timings::first_open_ok);
    t["timing.qos0_publish_urc"] = timing_field(&timings::qos0_publish_urc);
    t["timing.close_disc_urc"] = timing_field(&timings::close_disc_urc);
    t["timing.recv_urc"] = timing_field(&timings::recv_urc);
    t["timing.open_urc"] = timing_field(&timings::open_urc);
    t["timing.link_lost_urc"] = timing_field(&timings::link_lost_urc);
    t["timing.boot"] = timing_field(&timings::boot);
    t["timing.registration"] = timing_field(&timings::registration);
    t["timing.reboot_after_ok"] = timing_field(&timings::reboot_after_ok);
    t["timing.cfun_off_ok"] = timing_field(&timings::cfun_off_ok);
    t["timing.cfun_on_ok"] = timing_field(&timings::cfun_on_ok);
    t["timing.cgatt_ok"] = timing_field(&timings::cgatt_ok);
    t["timing.cops_test"] = timing_field(&timings::cops_test);
    t["timing.cops_off_ok"] = timing_field(&timings::cops_off_ok);
    t["timing.cops_not_found"] = timing_field(&timings::cops_not_found);
    t["timing.cgact_on_ok"] = timing_field(&timings::cgact_on_ok);
    t["timing.cgact_off_ok"] = timing_field(&timings::cgact_off_ok);
    t["timing.connack_limit"] = timing_field(&timings::connack_limit);
    t["timing.reconnect_first"] = timing_field(&timings::reconnect_first);
    t["timing.reconnect_every"] = timing_field(&timings::reconnect_every);
    t["timing.guard"] = timing_field(&timings::guard);
    t["timing.guard_publish"] = timing_field(&timings::guard_publish);
    t["timing.guard_cfun"] = timing_field(&timings::guard_cfun);
    t["timing.guard_cpin"] = timing_field(&timings::guard_cpin);
    t["timing.guard_cgatt"] = timing_field(&timings::guard_cgatt);
    t["timing.guard_cgact"] = timing_field(&timings::guard_cgact);
    t["timing.guard_cops"] = timing_field(&timings::guard_cops);
    return t;
  }();
  return table;
}

}  // namespace

std::optional<profile> builtin_profile(std::string_view name) {
  if (name == "nt35e") return profile{};
  if (name == "ec616s") {
    profile p;
    p.name = "ec616s";
    p.max_ecmt_id = 0;
    p.style = response_style::spaced;
    p.echo = false;
    p.manufacturer = "Eigencomm";
    p.model = "EC616S";
    p.revision = "EC616S_SW_V1.0";
    p.ati_single_line = true;
    p.imei = "869524041234567";
    p.imsi = "460041234567890";
    p.act = 9;
    p.cclk_write_refused = false;  // the plain build sets the clock (chosen, §4)
    p.edrx_act_type = 5;
    p.quirk.clientid_needs_all_three = true;
    p.quirk.connected_before_connack = true;
    p.quirk.tls_open_always_ok = true;
    p.quirk.ampf_not_supported = true;
    p.quirk.cgreg_not_supported = true;
    return p;
  }
  return std::nullopt;
}

std::string set_profile_field(profile& p, std::string_view name, std::string_view value) {
  const auto& t = setters();
  auto it = t.find(std::string(name));
  if (it == t.end()) return "unknown setting \"" + std::string(name) + "\"; known: " + profile_field_names();
  auto err = it->second(p, value);
  return err.empty() ? err : std::string(name) + " " + err;
}

std::string profile_field_names() {
  std::string out;
  for (const auto& [k, _] : setters()) out += (out.empty() ? "" : ", ") + k;
  return out;
}

bool luhn_valid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it < '0' || *it > '9') return false;
    int d = *it - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

}  // namespace nt35e::modem
