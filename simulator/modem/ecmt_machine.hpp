#pragma once
// The per-id ECMT state machine's reactions to the network (spec §5.10, §7):
// backend events, link loss, reconnection. Commands live in commands/ecmt.cpp.

#include "modem/ecmt_context.hpp"
#include "mqtt/backend.hpp"

namespace nt35e::modem {
class modem;

/// An event from the MQTT backend.
void on_backend_event(modem& m, const mqtt::any_event& event);
/// The PDP context went away (CFUN=0/4, CGATT=0): §4.1 effects on every id.
void on_network_lost(modem& m);
/// Reboot: every link dropped without DISCONNECT, every context deleted.
void drop_all_links(modem& m);
/// Starts a reconnect attempt for `id` after `ms` (RECONNECTING ids).
void schedule_reconnect(modem& m, int id, int ms);
/// Deletes the context of `id` (configuration lost, §5.0).
void delete_context(modem& m, int id);
/// The mqtt::request::connect for `id` from its stored host and CONNECT options.
mqtt::request::connect connect_request(const modem& m, int id);
/// Waits for the broker's `kind` acknowledgement of `msg_id` on `id`: unless
/// quirk.no_ack_timeout, the URC reports result 2 after the id's pkt_timeout.
void expect_ack(modem& m, int id, ecmt_ack kind, int msg_id);
/// A QoS 0 PUBLISH of `msg_id` on `id` whose OK comes after `ok_delay_ms`: the module
/// writes its +ECMTPUB itself (no acknowledgement exists) and ignores the backend's.
void report_qos0_publish(modem& m, int id, int msg_id, int ok_delay_ms);
}  // namespace nt35e::modem
