#include "modem/ecmt_machine.hpp"

#include <type_traits>
#include <utility>

#include "modem/modem.hpp"

namespace nt35e::modem {
namespace {

std::string sid(int id) { return std::to_string(id); }

ecmt_context& ctx(modem& m, int id) { return m.ecmt.at(static_cast<std::size_t>(id)); }

bool valid(const modem& m, int id) { return id >= 0 && static_cast<std::size_t>(id) < m.ecmt.size(); }

// The acknowledgement arrived: its timeout fallback is no longer needed.
void settle_ack(modem& m, int id, ecmt_ack kind, int msg_id) {
  auto& c = ctx(m, id);
  auto it = c.ack_timers.find({kind, msg_id});
  if (it == c.ack_timers.end()) return;
  m.cancel(it->second);
  c.ack_timers.erase(it);
}

// A CONNECTED id lost its link: +ECMTSTAT, then automatic reconnection (§7.4).
void lose_link(modem& m, int id, ecmt_event why) {
  auto& c = ctx(m, id);
  // The module does not restore subscriptions; a clean session loses them at the broker too.
  if (c.connect.clean_session) c.subscriptions.clear();
  c.pending_subs.clear();
  c.pending_unsubs.clear();
  m.emit_urc("+ECMTSTAT: " + sid(id) + ",1");
  m.transition(id, ecmt_state::reconnecting, why);
  schedule_reconnect(m, id, m.prof().timing.reconnect_first);
}

void on(modem& m, const mqtt::event::opened& e) {
  auto& c = ctx(m, e.id);
  if (c.state != ecmt_state::opening) return;  // stale: the id moved on
  if (!e.ok) {
    m.log(log_level::warn, "ECMTOPEN id " + sid(e.id) + " failed: " + e.detail, "net.open_failed");
    m.emit_urc("+ECMTOPEN: " + sid(e.id) + ",-1");
    delete_context(m, e.id);  // a failed open deletes the context (§5.0)
    return;
  }
  m.emit_urc("+ECMTOPEN: " + sid(e.id) + ",0");
  m.transition(e.id, ecmt_state::opened, ecmt_event::open_ok);
  if (c.connect_queued) {
    c.connect_queued = false;
    m.transition(e.id, ecmt_state::connecting, ecmt_event::conn_cmd);
    m.request(connect_request(m, e.id));
    if (m.prof().quirk.connected_before_connack) m.transition(e.id, ecmt_state::connected, ecmt_event::connect_written);
  }
}

void on(modem& m, const mqtt::event::connack& e) {
  auto& c = ctx(m, e.id);
  const auto& q = m.prof().quirk;
  std::string urc = "+ECMTCONN: " + sid(e.id) + ",0," + std::to_string(e.return_code);
  // State first, then the URC: rules triggered by the URC see the new state.
  if (c.state == ecmt_state::connecting) {
    m.cancel(c.connack_timer);
    if (e.return_code == 0) {
      m.transition(e.id, ecmt_state::connected, ecmt_event::connack_accepted);
      m.emit_urc(urc);
    } else {
      m.emit_urc(urc);
      // Refused: link closed, back to OPENED; the next ECMTCONN reopens silently.
      m.log(log_level::warn,
            "broker refused CONNECT on id " + sid(e.id) + " with code " + std::to_string(e.return_code),
            "mqtt.connack_refused");
      m.request(mqtt::request::abort{e.id});
      m.transition(e.id, ecmt_state::opened, ecmt_event::connack_refused);
    }
    return;
  }
  if (c.state == ecmt_state::reconnecting) {
    c.attempt_in_flight = false;
    if (e.return_code == 0) {
      c.refusals = 0;
      ++m.count.reconnects;
      m.transition(e.id, ecmt_state::connected, ecmt_event::reconnected);
      m.emit_urc(urc);
      return;
    }
    m.emit_urc(urc);
    if (q.connected_before_connack && ++c.refusals < 4) {
      m.transition(e.id, ecmt_state::connected, ecmt_event::connack_refused);
      lose_link(m, e.id, ecmt_event::connack_refused);
    } else {
      m.request(mqtt::request::abort{e.id});
      m.transition(e.id, ecmt_state::opened, ecmt_event::connack_refused);
    }
    return;
  }
  if (c.state == ecmt_state::connected && q.connected_before_connack) {
    m.emit_urc(urc);
    if (e.return_code == 0) {
      c.refusals = 0;
      return;
    }
    // The firmware stays CONNECTED; the broker then closes the link and the
    // module retries, giving up after the 4th refusal (§5.4 step 6).
    if (++c.refusals >= 4) {
      m.request(mqtt::request::disconnect{e.id});
      m.transition(e.id, ecmt_state::opened, ecmt_event::connack_refused);
      return;
    }
    lose_link(m, e.id, ecmt_event::connack_refused);
  }
}

void on(modem& m, const mqtt::event::connect_failed& e) {
  auto& c = ctx(m, e.id);
  if (c.state == ecmt_state::reconnecting) {
    c.attempt_in_flight = false;
    m.log(log_level::debug, "reconnect attempt on id " + sid(e.id) + " failed: " + e.detail);
    schedule_reconnect(m, e.id, m.prof().timing.reconnect_every);
    return;
  }
  if (c.state == ecmt_state::connecting ||
      (c.state == ecmt_state::connected && m.prof().quirk.connected_before_connack)) {
    m.cancel(c.connack_timer);
    m.log(log_level::warn, "CONNECT on id " + sid(e.id) + " failed: " + e.detail, "mqtt.connect_failed");
    if (!c.connfail_reported) m.emit_urc("+ECMTCONN: " + sid(e.id) + ",2,2");
    c.connfail_reported = false;
    m.transition(e.id, ecmt_state::connect_fail, ecmt_event::connect_failed);
  }
}

void on(modem& m, const mqtt::event::suback& e) {
  auto& c = ctx(m, e.id);
  if (c.state != ecmt_state::connected) return;
  settle_ack(m, e.id, ecmt_ack::sub, e.msg_id);
  if (auto it = c.pending_subs.find(e.msg_id); it != c.pending_subs.end()) {
    if (e.result == 0) c.subscriptions[it->second.first] = it->second.second;
    c.pending_subs.erase(it);
  }
  // The 4th field counts return codes (always 1), it is not the granted QoS (§5.6).
  m.emit_urc("+ECMTSUB: " + sid(e.id) + "," + std::to_string(e.msg_id) + "," + std::to_string(e.result) + "," +
             (e.result == 0 ? "1" : "0"));
}

void on(modem& m, const mqtt::event::unsuback& e) {
  auto& c = ctx(m, e.id);
  if (c.state != ecmt_state::connected) return;
  settle_ack(m, e.id, ecmt_ack::uns, e.msg_id);
  if (auto it = c.pending_unsubs.find(e.msg_id); it != c.pending_unsubs.end()) {
    if (e.result == 0) c.subscriptions.erase(it->second);
    c.pending_unsubs.erase(it);
  }
  m.emit_urc("+ECMTUNS: " + sid(e.id) + "," + std::to_string(e.msg_id) + "," + std::to_string(e.result));
}

void on(modem& m, const mqtt::event::published& e) {
  auto& c = ctx(m, e.id);
  if (e.refused) ++m.count.publishes_refused;
  if (auto it = c.qos0_publishes.find(e.msg_id); it != c.qos0_publishes.end()) {
    // A QoS 0 publish has no acknowledgement: the module reports it itself (§8), with
    // result 2 when the backend could not send it before that report was due.
    auto& q = it->second;
    if (q.unsettled == 0) return;  // all of this msgID already finished
    --q.unsettled;
    if (e.result != 0) {
      if (q.unreported > q.failed)
        ++q.failed;
      else
        m.log(log_level::warn, "QoS 0 publish " + std::to_string(e.msg_id) + " on id " + sid(e.id) +
                                   " was not sent (after its +ECMTPUB result 0)");
    }
    if (q.done()) c.qos0_publishes.erase(it);
    return;
  }
  if (c.state != ecmt_state::connected) return;
  settle_ack(m, e.id, ecmt_ack::pub, e.msg_id);
  m.emit_urc("+ECMTPUB: " + sid(e.id) + "," + std::to_string(e.msg_id) + "," + std::to_string(e.result));
}

void on(modem& m, const mqtt::event::message& e) {
  auto s = ctx(m, e.id).state;
  if (s != ecmt_state::connected) return;
  const auto& p = m.prof();
  if (e.topic.size() > static_cast<std::size_t>(p.max_incoming_topic) ||
      e.payload.size() > static_cast<std::size_t>(p.max_incoming_payload)) {
    m.log(log_level::warn,
          "incoming PUBLISH on id " + sid(e.id) + " dropped: topic " + std::to_string(e.topic.size()) + " / payload " +
              std::to_string(e.payload.size()) + " bytes exceed the receive buffer (" +
              std::to_string(p.max_incoming_topic) + " / " + std::to_string(p.max_incoming_payload) + ")",
          "note");
    return;
  }
  // The payload is a C string inside the firmware: leading NULs skipped, it ends at the next NUL.
  std::string_view payload = e.payload;
  auto first = payload.find_first_not_of('\0');
  payload = first == std::string_view::npos ? std::string_view{} : payload.substr(first);
  payload = payload.substr(0, payload.find('\0'));
  ++m.count.messages;
  m.emit_urc("+ECMTRECV: " + sid(e.id) + "," + std::to_string(e.msg_id) + ",\"" + e.topic + "\"," +
             std::string(payload));
}

// Publishes (and SUB/UNS) still awaiting their acknowledgement keep waiting: the spec
// gives a missing ack nothing under quirk no_ack_timeout (§5.8.3, FW H: no result URC,
// ever; the host learns of the loss from +ECMTSTAT, §7.4), else result 2 after pkt_timeout
// from expect_ack's timer, which a link loss does not cancel. Result 2 at the loss itself
// would be a "socket write failure", which the written PUBLISH was not.
void on(modem& m, const mqtt::event::link_lost& e) {
  auto& c = ctx(m, e.id);
  m.log(log_level::warn, "link lost on id " + sid(e.id) + ": " + e.detail, "net.link_lost");
  if (c.state == ecmt_state::connected) {
    lose_link(m, e.id, ecmt_event::link_lost);
  } else if (c.state == ecmt_state::connecting) {
    m.cancel(c.connack_timer);
    m.emit_urc("+ECMTCONN: " + sid(e.id) + ",2,2");
    m.transition(e.id, ecmt_state::connect_fail, ecmt_event::connect_failed);
  } else if (c.state == ecmt_state::reconnecting) {
    c.attempt_in_flight = false;
    schedule_reconnect(m, e.id, m.prof().timing.reconnect_every);
  }
}

}  // namespace

const char* to_string(ecmt_ack a) {
  switch (a) {
    case ecmt_ack::sub:
      return "SUB";
    case ecmt_ack::uns:
      return "UNS";
    case ecmt_ack::pub:
      return "PUB";
  }
  return "?";
}

void report_qos0_publish(modem& m, int id, int msg_id, int ok_delay_ms) {
  auto& q = ctx(m, id).qos0_publishes[msg_id];
  ++q.unreported;
  ++q.unsettled;
  // The firmware reports a QoS 0 publish once it is sent: 20 ms after its OK (§8); result
  // 2 if the backend said by then that it could not send it (§5.8.3). Even with zero
  // delays, not within this call: a backend's immediate refusal comes first.
  m.after_this_call(ok_delay_ms + m.prof().timing.qos0_publish_urc, [id, msg_id](modem& mm) {
    auto& c = ctx(mm, id);
    bool failed = false;
    if (auto it = c.qos0_publishes.find(msg_id); it != c.qos0_publishes.end() && it->second.unreported > 0) {
      auto& q = it->second;
      --q.unreported;
      if (q.failed > 0) {
        --q.failed;
        failed = true;
      }
      if (q.done()) c.qos0_publishes.erase(it);
    }
    if (c.state != ecmt_state::connected) return;
    mm.emit_urc("+ECMTPUB: " + sid(id) + "," + std::to_string(msg_id) + (failed ? ",2" : ",0"));
  });
}

void expect_ack(modem& m, int id, ecmt_ack kind, int msg_id) {
  if (m.prof().quirk.no_ack_timeout) return;
  auto& c = ctx(m, id);
  auto key = std::make_pair(kind, msg_id);
  m.cancel(c.ack_timers[key]);
  c.ack_timers[key] = m.after(c.config.effective_pkt_timeout() * 1000, [id, key](modem& mm) {
    ctx(mm, id).ack_timers.erase(key);
    // Result 2 is "timed out"; only +ECMTSUB carries a 4th field (no return code counted).
    std::string urc =
        "+ECMT" + std::string(to_string(key.first)) + ": " + sid(id) + "," + std::to_string(key.second) + ",2";
    if (key.first == ecmt_ack::sub) urc += ",0";
    mm.emit_urc(urc);
  });
}

mqtt::request::connect connect_request(const modem& m, int id) {
  const auto& c = m.ecmt.at(static_cast<std::size_t>(id));
  const auto& t = m.tls;
  return mqtt::request::connect{id, c.host, c.port, mqtt::tls_options{t.mode, t.ca_file, t.cert_file, t.key_file},
                                c.connect};
}

// The module's own share of the time between a packet from the network and its URC
// (§8). A live broker gives only the network's time, so the firmware's part is added; the
// scripted broker's delays are the whole time to the URC (§8 "scripted N ms") except where
// §8 gives the module's part alone: a message's receive loop and a peer's FIN/RST.
int module_share(const modem& m, const mqtt::any_event& event) {
  const auto& t = m.prof().timing;
  const bool live = m.prof().live_broker;
  return std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, mqtt::event::message>)
          return t.recv_urc;
        else if constexpr (std::is_same_v<T, mqtt::event::link_lost>)
          return t.link_lost_urc;
        else if constexpr (std::is_same_v<T, mqtt::event::opened>)
          return live ? t.open_urc : 0;
        else
          return live ? t.urc_after_backend : 0;
      },
      event);
}

void react(modem& m, const mqtt::any_event& event) {
  std::visit(
      [&](const auto& e) {
        if (!valid(m, e.id)) return;
        on(m, e);
      },
      event);
}

void on_backend_event(modem& m, const mqtt::any_event& event) {
  int share = module_share(m, event);
  if (share <= 0) return react(m, event);
  // Handled when the firmware gets to it: the state changes with its URC. A reboot in
  // between drops the timer with the event, as the firmware's queue is lost.
  std::shared_ptr<void> held;
  if (const auto* msg = std::get_if<mqtt::event::message>(&event))
    held = m.hold_message(msg->topic.size() + msg->payload.size());
  m.after(share, [event, held = std::move(held)](modem& mm) { react(mm, event); });
}

void schedule_reconnect(modem& m, int id, int ms) {
  auto& c = ctx(m, id);
  m.cancel(c.reconnect_timer);
  c.reconnect_timer = m.after(ms, [id](modem& mm) {
    auto& cc = ctx(mm, id);
    cc.reconnect_timer = 0;
    if (cc.state != ecmt_state::reconnecting || cc.attempt_in_flight) return;
    if (!mm.pdp_active) {
      // No PDP: the attempt fails silently; try again later (§4.1).
      schedule_reconnect(mm, id, mm.prof().timing.reconnect_every);
      return;
    }
    cc.attempt_in_flight = true;
    mm.log(log_level::info, "reconnect attempt on id " + sid(id));
    mm.request(connect_request(mm, id));
  });
}

void on_network_lost(modem& m) {
  for (std::size_t i = 0; i < m.ecmt.size(); ++i) {
    int id = static_cast<int>(i);
    if (!m.ecmt.used(i)) continue;  // NONE: nothing to lose
    auto& c = m.ecmt[i];
    switch (c.state) {
      case ecmt_state::connected:
        m.request(mqtt::request::abort{id});
        lose_link(m, id, ecmt_event::radio_off);
        break;
      case ecmt_state::connecting:
        m.cancel(c.connack_timer);
        m.request(mqtt::request::abort{id});
        m.emit_urc("+ECMTCONN: " + sid(id) + ",2,2");
        m.transition(id, ecmt_state::connect_fail, ecmt_event::radio_off);
        break;
      case ecmt_state::opening:
        m.request(mqtt::request::abort{id});
        m.emit_urc("+ECMTOPEN: " + sid(id) + ",-1");
        delete_context(m, id);
        break;
      case ecmt_state::opened:
        // Lost silently; noticed at the next ECMTCONN, which reopens.
        m.request(mqtt::request::abort{id});
        break;
      case ecmt_state::reconnecting:
        if (c.attempt_in_flight) {
          m.request(mqtt::request::abort{id});
          c.attempt_in_flight = false;
          schedule_reconnect(m, id, m.prof().timing.reconnect_every);
        }
        break;
      default:
        break;
    }
  }
}

void drop_all_links(modem& m) {
  for (std::size_t i = 0; i < m.ecmt.size(); ++i) {
    auto s = std::as_const(m.ecmt)[i].state;
    if (s != ecmt_state::none && s != ecmt_state::configured) m.request(mqtt::request::abort{static_cast<int>(i)});
    m.transition(static_cast<int>(i), ecmt_state::none, ecmt_event::reboot);
    m.ecmt.reset(i);
  }
}

void delete_context(modem& m, int id) {
  auto& c = ctx(m, id);
  m.cancel(c.reconnect_timer);
  m.cancel(c.connack_timer);
  for (auto& [key, timer] : c.ack_timers) m.cancel(timer);
  m.transition(id, ecmt_state::none, ecmt_event::closed);
  c = ecmt_context{};
}

}  // namespace nt35e::modem
