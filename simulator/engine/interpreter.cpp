#include "engine/interpreter.hpp"

#include <string>

#include "at/command_line.hpp"
#include "at/line_discipline.hpp"
#include "at/render.hpp"
#include "at/text.hpp"
#include "commands/registry.hpp"
#include "engine/fault_engine.hpp"
#include "explain/explainer.hpp"
#include "modem/ecmt_machine.hpp"
#include "modem/modem.hpp"
#include "modem/power.hpp"
#include "scenario/apply.hpp"

namespace nt35e::engine {

// The line-level machinery lives here rather than in the header so that the
// public surface stays "bytes, events and time in; actions out".
struct interpreter_state {
  at::line_discipline line;
  bool busy = false;          ///< a command line runs until its final result
  std::string pending_input;  ///< bytes that arrived while busy (§2.1 rule 5)
  bool pending_overflow = false;
  std::string last_line;     ///< for A/
  std::string current_line;  ///< for explanations
  bool data_mode = false;
  std::string data;
  std::function<at::response(std::string_view, bool)> on_data;
  modem::modem::timer_id data_guard = 0;
  modem::modem::timer_id hold_check = 0;
  modem::time_point last_input{};
  int reboots_seen = 0;
};

namespace {

constexpr std::size_t max_pending_input = 4096;
constexpr unsigned char ctrl_z = 0x1A;
constexpr unsigned char esc = 0x1B;

/// A line for the log: control bytes escaped, UTF-8 kept readable.
std::string printable(std::string_view s) {
  return at::escape_bytes(s, {.high = at::escape_options::high_bytes::keep});
}

/// The answer to a form the command's row does not have (§2.6 rule 8, §4.4.0).
at::failure missing_form(const commands::command_spec& spec, const at::command& cmd) {
  std::string sentence = "AT" + cmd.name + " has no " + at::to_string(cmd.what) + " form";
  switch (spec.kind) {
    case commands::family::ecmt:
      return at::not_allowed("syntax.bad_form", sentence);
    case commands::family::action:
      // An action command's read form, or parameters given to one that takes none, is a
      // syntax error; anything else (none today) is an unsupported form.
      if (cmd.what == at::form::read || cmd.what == at::form::write)
        return at::syntax_error("syntax.bad_form", sentence + "; it is an action command (execute and test only)");
      break;
    case commands::family::basic:
      break;
  }
  return at::cme_error(static_cast<int>(at::cme::operation_not_supported), "form.not_supported",
                       sentence + "; the module answers CME 4");
}

class runner {
 public:
  std::string shown(const std::string& line) const { return m_.prof().show_secrets ? line : at::mask_secrets(line); }

  runner(modem::modem& m, interpreter_state& s, fault_engine& f) : m_(m), s_(s), f_(f) {}

  void byte(unsigned char b) {
    if (m_.booting) return;  // silent until ECRDY: input is discarded (§4.2)
    if (s_.busy) {
      if (s_.pending_input.size() < max_pending_input)
        s_.pending_input.push_back(static_cast<char>(b));
      else
        s_.pending_overflow = true;
      return;
    }
    if (s_.data_mode) return data_byte(b);
    command_byte(b);
  }

  void command_byte(unsigned char b) {
    if (m_.set.echo) m_.write(std::string_view(reinterpret_cast<const char*>(&b), 1));
    s_.last_input = m_.now();
    auto event = s_.line.push(b, m_.set.line);
    if (!event) {
      if (s_.line.has_partial()) arm_hold_check();
      return;
    }
    switch (event->what) {
      case at::line_event::kind::too_long:
        s_.current_line = "(a line longer than 3072 bytes)";
        ++m_.count.lines_too_long;
        finish({},
               at::response::fail(
                   at::syntax_error("line.too_long", "the line passed the 3072-byte limit and was discarded")),
               m_.prof().timing.basic_result);
        return;
      case at::line_event::kind::repeat:
        if (s_.last_line.empty()) return;
        if (m_.set.echo) m_.write("\r");
        run_line(s_.last_line);
        return;
      case at::line_event::kind::line:
        run_line(event->text);
        return;
    }
  }

  void run_line(const std::string& text) {
    auto at_pos = at::find_at_prefix(text);
    if (!at_pos) {
      if (!text.empty())
        m_.log(modem::log_level::debug, "discarded a line without \"AT\": \"" + printable(text) + "\"");
      return;
    }
    std::string line = text.substr(*at_pos);
    s_.last_line = line;
    s_.current_line = line;
    ++m_.count.commands;
    m_.log(modem::log_level::debug, "command line \"" + printable(shown(line)) + "\"");
    auto change = f_.on_command(m_, std::string_view(line).substr(2));
    if (change.never) {
      // The module hangs on this line: no answer, later input waits (until a reboot).
      m_.log(modem::log_level::warn, "scenario: \"" + printable(shown(line)) + "\" is never answered",
             "scenario.fault");
      s_.busy = true;
      return;
    }
    if (change.replace) {
      finish_raw(*change.replace, m_.prof().timing.basic_result + change.extra_delay_ms);
      return;
    }
    auto parsed = at::parse_command_line(line, 2, [](std::string_view name) {
      auto* spec = commands::find_command(name);
      return spec && spec->raw_tail;
    });
    if (auto* f = std::get_if<at::failure>(&parsed)) {
      finish({}, at::response::fail(*f), m_.prof().timing.basic_result);
      return;
    }
    std::string info;
    int delay = 0;
    at::response last = at::response::ok();
    const auto& cmds = std::get<std::vector<at::command>>(parsed);
    if (cmds.empty()) count_command(commands::bare_at_slot());
    for (const auto& cmd : cmds) {
      const int started = delay;
      at::response r = execute(cmd, delay);
      guard(cmd, r, started, delay);
      info += at::render_info(r.lines, m_.render());
      if (!r.note.empty()) m_.log(modem::log_level::info, "AT" + cmd.name + ": " + r.note, "note");
      last = std::move(r);
      if (last.final == at::final_kind::failed || last.final == at::final_kind::prompt) break;
    }
    if (last.final == at::final_kind::prompt) {
      enter_data_mode(std::move(info), std::move(last.on_data));
      return;
    }
    finish(std::move(info), std::move(last), delay + change.extra_delay_ms, change.keep);
  }

  void count_command(std::size_t slot) {
    auto& by = m_.count.by_command;
    if (by.empty()) by.resize(commands::command_slots());  // only a modem that is used pays for it
    ++by[slot];
  }

  std::optional<explain::language> explaining() const {
    const auto& e = m_.prof().explain;
    if (e.empty()) return std::nullopt;
    return e == "zh" ? explain::language::zh : explain::language::en;
  }

  at::response execute(const at::command& cmd, int& delay) {
    if (auto lang = explaining()) {
      std::string text = cmd.name;
      if (cmd.what == at::form::test)
        text += "=?";
      else if (cmd.what == at::form::read)
        text += "?";
      else if (cmd.what == at::form::write)
        text += (cmd.basic ? "" : "=") + cmd.args;
      auto what = explain::command(text, *lang, m_.render().style);
      if (!what.empty()) m_.log(modem::log_level::info, "AT" + shown(text) + " — " + what, "explain");
    }
    const auto* spec = commands::find_command(cmd.name, m_.prof());
    count_command(commands::command_slot(spec));
    if (!spec) {
      delay += m_.prof().timing.basic_result;
      if (auto why = commands::absent_command(cmd.name, m_.prof()); !why.empty())
        return at::response::fail(at::syntax_error("syntax.unknown_command", std::move(why)));
      std::string hint;
      if (cmd.name.rfind("+QMT", 0) == 0 || cmd.name.rfind("+LMQTT", 0) == 0)
        hint = "; this module's MQTT commands are the AT+ECMT... family";
      return at::response::fail(
          at::syntax_error("syntax.unknown_command", "AT" + cmd.name + " is not a command of this module" + hint));
    }
    commands::handler h = nullptr;
    switch (cmd.what) {
      case at::form::test:
        h = spec->test;
        break;
      case at::form::read:
        h = spec->read;
        break;
      case at::form::write:
        h = spec->write;
        break;
      case at::form::execute:
        h = spec->execute;
        break;
    }
    if (!h) {
      delay += m_.prof().timing.basic_result;
      return at::response::fail(missing_form(*spec, cmd));
    }
    at::response r = h(m_, cmd);
    if (r.delay_ms >= 0)
      delay += r.delay_ms;
    else
      delay += spec->kind == commands::family::ecmt ? m_.prof().timing.ecmt_ok : m_.prof().timing.basic_result;
    return r;
  }

  // §2.9: a command whose final result is not due within its guard timer is abandoned
  // at the guard with ERROR (its information text is never sent). What it started, such
  // as an attach, goes on (chosen). Data mode has its own guard (enter_data_mode).
  void guard(const at::command& cmd, at::response& r, int started, int& delay) {
    if (r.final == at::final_kind::prompt || r.final == at::final_kind::none) return;
    const int limit = commands::guard_ms(cmd.name, m_.prof().timing);
    if (delay - started <= limit) return;
    m_.log(modem::log_level::info,
           "AT" + cmd.name + " would answer after " + std::to_string(delay - started) + " ms, past its " +
               std::to_string(limit) + " ms guard",
           "note");
    delay = started + limit;
    r = at::response::fail(at::syntax_error(
        "guard.expired", "AT" + cmd.name + " did not reach its final result within its guard timer of " +
                             std::to_string(limit) + " ms, so the module abandoned it and answered ERROR"));
  }

  // The final result after `delay`; URCs and buffered input wait until then.
  // `keep` truncates the answer (a scenario's truncate_response).
  void finish(std::string info, at::response r, int delay, std::optional<std::size_t> keep = std::nullopt) {
    s_.busy = true;
    if (r.final == at::final_kind::failed) {
      explain(r.error);
      ++m_.count.errors;
    }
    m_.after(delay, [info = std::move(info), r = std::move(r), keep, &s = s_, &f = f_](modem::modem& m) {
      if (!s.busy) return;  // a reboot came first
      std::string out = info + at::render_final(r.final, r.error, m.render());
      if (keep && out.size() > *keep) out.resize(*keep);
      m.write(out);
      s.busy = false;
      runner(m, s, f).after_final();
    });
  }

  // A scenario's replacement answer: its bytes exactly, then the line is over.
  void finish_raw(std::string bytes, int delay) {
    s_.busy = true;
    m_.after(delay, [bytes = std::move(bytes), &s = s_, &f = f_](modem::modem& m) {
      if (!s.busy) return;
      m.write(bytes);
      s.busy = false;
      runner(m, s, f).after_final();
    });
  }

  void explain(const at::failure& f) {
    auto result = at::final_text(at::final_kind::failed, f, m_.render());
    m_.log(modem::log_level::warn, "\"" + printable(shown(s_.current_line)) + "\" -> " + result + ": " + f.sentence,
           f.reason);
    if (auto lang = explaining()) {
      auto line = std::string_view(s_.current_line);
      if (line.size() >= 2) line.remove_prefix(2);
      auto h = explain::hint(f, line, *lang, m_.render().style);
      if (!h.empty()) m_.log(modem::log_level::info, h, "explain");
    }
  }

  // After a final result: queued URCs, then the input that waited.
  void after_final() {
    flush_urcs();
    if (s_.pending_overflow) {
      s_.pending_overflow = false;
      s_.pending_input.clear();
      s_.current_line = "(input overflow)";
      ++m_.count.input_overflows;
      finish({},
             at::response::fail(at::syntax_error(
                 "input.overflow", "more than 4096 bytes arrived while a command ran; the excess was discarded")),
             0);
      return;
    }
    std::string input;
    input.swap(s_.pending_input);
    for (std::size_t i = 0; i < input.size(); ++i) {
      if (s_.busy) {
        // Still busy (another line started): keep the rest waiting, in order.
        s_.pending_input.insert(0, input.substr(i));
        break;
      }
      byte(static_cast<unsigned char>(input[i]));
    }
    flush_urcs();
  }

  void enter_data_mode(std::string info, std::function<at::response(std::string_view, bool)> on_data) {
    m_.write(info);
    m_.write("\r\n> ");
    s_.data_mode = true;
    s_.data.clear();
    s_.on_data = std::move(on_data);
    s_.data_guard = m_.after(m_.prof().timing.guard_publish, [&s = s_, &f = f_](modem::modem& m) {
      if (!s.data_mode) return;
      s.data_mode = false;
      s.data.clear();
      runner r(m, s, f);
      s.current_line = "(data mode)";
      r.finish({},
               at::response::fail(at::syntax_error("guard.expired",
                                                   "no Ctrl-Z (0x1A) or ESC (0x1B) within the 20 s guard; "
                                                   "data mode left and nothing published")),
               0);
    });
  }

  void data_byte(unsigned char b) {
    if (b == ctrl_z || b == esc) {
      s_.data_mode = false;
      m_.cancel(s_.data_guard);
      auto handler = std::move(s_.on_data);
      std::string data;
      data.swap(s_.data);
      at::response r = handler ? handler(data, b == esc) : at::response::ok();
      finish({}, std::move(r), m_.prof().timing.ecmt_ok);
      return;
    }
    if (m_.set.echo) m_.write(std::string_view(reinterpret_cast<const char*>(&b), 1));
    s_.data.push_back(static_cast<char>(b));
    if (s_.data.size() > static_cast<std::size_t>(m_.prof().max_payload)) {
      // The firmware leaves data mode silently; later bytes are commands and the
      // publish ends with ERROR when its guard expires (§5.8.2 rule 5).
      m_.log(modem::log_level::warn,
             "data-mode payload passed " + std::to_string(m_.prof().max_payload) +
                 " bytes: data mode left silently; ERROR follows at the guard",
             "param.too_long");
      s_.data_mode = false;
      s_.data.clear();
      s_.on_data = nullptr;
      auto guard = s_.data_guard;
      m_.cancel(guard);
      s_.data_guard = m_.after(m_.prof().timing.guard_publish, [](modem::modem& m) {
        m.write(at::render_final(at::final_kind::failed, at::failure{}, m.render()));
      });
    }
  }

  // A partial line holds URCs, but only for a while: a stray byte must not
  // silence the module forever (chosen, §6.2 rule 3).
  void arm_hold_check() {
    m_.cancel(s_.hold_check);
    s_.hold_check = m_.after(m_.prof().timing.partial_line_urc_hold, [&s = s_, &f = f_](modem::modem& m) {
      s.hold_check = 0;
      runner(m, s, f).flush_urcs();
    });
  }

  bool urcs_may_flow() const {
    if (s_.busy || s_.data_mode || m_.booting) return false;
    if (!s_.line.has_partial()) return true;
    return m_.now() - s_.last_input >= m_.scaled(m_.prof().timing.partial_line_urc_hold);
  }

  void flush_urcs() {
    auto& q = m_.pending_urcs();
    if (q.empty() || !urcs_may_flow()) return;
    auto rs = m_.render();
    while (!q.empty()) {
      auto u = std::move(q.front());
      q.pop_front();
      if (!rs.quiet) ++m_.count.urcs;
      m_.write(at::render_urc(u.text, u.fixed, rs));
      if (auto lang = explaining(); lang && !rs.quiet) {
        auto what = explain::urc(at::styled(u.text, at::response_style::compact), *lang, rs.style);
        if (!what.empty()) m_.log(modem::log_level::info, at::styled(u.text, rs.style) + " — " + what, "explain");
      }
    }
  }

 private:
  modem::modem& m_;
  interpreter_state& s_;
  fault_engine& f_;
};

}  // namespace

struct interpreter::impl {
  interpreter_state state;
  fault_engine faults;
  modem::time_point powered_on;
};

interpreter::interpreter(modem::profile profile, modem::time_point now, const scenario::scenario& world)
    : interpreter(std::make_shared<const modem::profile>(std::move(profile)), now, world) {}

interpreter::interpreter(std::shared_ptr<const modem::profile> profile, modem::time_point now,
                         const scenario::scenario& world)
    : modem_(std::make_unique<modem::modem>(std::move(profile), now)), impl_(std::make_unique<impl>()) {
  modem_->ping_world = scenario::ping_model_of(world);
  impl_->faults = fault_engine(world);
  impl_->powered_on = now;
  modem::power_on(*modem_);
  impl_->faults.start(*modem_);
  modem_->log(modem::log_level::info, "power on, profile " + modem_->prof().name +
                                          (world.name.empty() ? std::string{} : ", scenario \"" + world.name + "\""));
}

interpreter::~interpreter() = default;

modem::actions interpreter::feed(std::string_view bytes, modem::time_point now) {
  advance(now);
  modem_->count.bytes_in += bytes.size();
  runner r(*modem_, impl_->state, impl_->faults);
  for (unsigned char b : bytes) r.byte(b);
  // Work the bytes scheduled with no delay (a zero basic_result) is done now, in this
  // call: the caller then needs no extra timer round trip for an immediate answer.
  advance(now);
  r.flush_urcs();
  return modem_->take_actions();
}

modem::actions interpreter::on_mqtt_event(const mqtt::any_event& event, modem::time_point now) {
  advance(now);
  impl_->faults.from_backend(*modem_, event);
  advance(now);  // zero-delay consequences of the event, in this call
  runner(*modem_, impl_->state, impl_->faults).flush_urcs();
  return modem_->take_actions();
}

modem::actions interpreter::on_timer(modem::time_point now) {
  advance(now);
  runner(*modem_, impl_->state, impl_->faults).flush_urcs();
  return modem_->take_actions();
}

void interpreter::set_utc(std::int64_t utc_seconds, modem::time_point now) { modem_->set_utc(utc_seconds, now); }

modem::actions interpreter::fire(const scenario::action& action, modem::time_point now) {
  advance(now);
  impl_->faults.fire(*modem_, action);
  advance(now);  // a reboot fired now takes effect now
  runner(*modem_, impl_->state, impl_->faults).flush_urcs();
  return modem_->take_actions();
}

modem::snapshot interpreter::take_snapshot(modem::time_point now) const {
  const auto& m = *modem_;
  modem::snapshot out;
  out.profile = m.prof().name;
  out.uptime_s = std::chrono::duration<double>(now - impl_->powered_on).count();
  out.booting = m.booting;
  out.cfun = m.cfun;
  out.registration = static_cast<int>(m.stat);
  out.sim = m.sim_present;
  out.pdp_active = m.pdp_active;
  out.rssi = m.registered() ? m.prof().csq_rssi : 99;
  for (std::size_t i = 0; i < m.ecmt.size(); ++i) {
    const auto& c = m.ecmt[i];
    if (c.state == modem::ecmt_state::none) continue;
    modem::ecmt_snapshot e;
    e.id = static_cast<int>(i);
    e.state = modem::to_string(c.state);
    e.host = c.host;
    e.port = c.port;
    for (const auto& [topic, qos] : c.subscriptions) e.subscriptions.emplace_back(topic, qos);
    out.ecmt.push_back(std::move(e));
  }
  out.count = m.count;
  return out;
}

std::optional<modem::time_point> interpreter::next_deadline() const { return modem_->next_deadline(); }

const modem::modem& interpreter::state() const { return *modem_; }

void interpreter::advance(modem::time_point now) {
  if (now > modem_->now()) modem_->set_now(now);
  modem_->run_due();
  auto& s = impl_->state;
  if (modem_->reboots != s.reboots_seen) {
    // A reboot dropped every timer of ours: start the line machinery afresh.
    s = interpreter_state{};
    s.reboots_seen = modem_->reboots;
  }
}

}  // namespace nt35e::engine
