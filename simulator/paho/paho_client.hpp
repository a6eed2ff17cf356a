#pragma once
// One Paho client of the backend and the listener its callbacks go to, plus what a Paho
// token carries back (the operation and the host's msg_id).
//
// Threads: Paho calls `callbacks` on its own library threads (shared by all clients of
// the process). They only copy the data and post it to the executor, where the owner's
// client_events methods run; they never call back into Paho (a failure callback can run
// inside MQTTAsync_destroy, with Paho's global mutex held). Everything else here is
// used on the executor only.

#include <mqtt/async_client.h>

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "mqtt/backend.hpp"

namespace nt35e::paho::detail {

/// The operation a Paho token stands for.
/// (Publish, subscribe and unsubscribe do not go through Paho: paho/lane.hpp.)
enum class op_kind : std::uintptr_t {
  connect = 1,
  disconnect
};

/// Packs `k` and the host's `msg_id` into a Paho token's user context.
void* op_context(op_kind k, int msg_id);
/// Unpacks what op_context() packed.
std::pair<op_kind, int> op_decode(void* ctx);

/// What a client's Paho callbacks report; every call runs on the executor. `id` and
/// `gen` name the session the client belongs to (the receiver drops stale ones).
class client_events {
 public:
  virtual ~client_events() = default;
  /// A token finished: rc 0 on success, else Paho's code (or the CONNACK's refusal) and a sentence.
  virtual void on_op(int id, std::uint64_t gen, op_kind kind, int msg_id, int rc, const std::string& why) = 0;
  /// Paho lost the connection (after the CONNACK).
  virtual void on_lost(int id, std::uint64_t gen, const std::string& cause) = 0;
};

/// The listener of one Paho client: runs on Paho's threads; copies, posts, nothing else.
class callbacks final : public ::mqtt::iaction_listener {
 public:
  /// Events go to `owner` on `ex`, tagged with `id` and `gen`; dropped once `owner` is gone.
  callbacks(std::weak_ptr<client_events> owner, boost::asio::any_io_executor ex, int id, std::uint64_t gen)
      : owner_(std::move(owner)), ex_(std::move(ex)), id_(id), gen_(gen) {}

  /// Paho's connection-lost handler.
  void connection_lost(const std::string& cause);
  /// A token succeeded.
  void on_success(const ::mqtt::token& tok) override;
  /// A token failed.
  void on_failure(const ::mqtt::token& tok) override;

 private:
  template <class F>
  void post(F&& f);

  std::weak_ptr<client_events> owner_;
  boost::asio::any_io_executor ex_;
  int id_;
  std::uint64_t gen_;
};

/// One Paho client and the callback object it points at (which must outlive it).
class paho_client {
 public:
  /// As for callbacks; `cli` is made by the owner.
  paho_client(std::weak_ptr<client_events> owner, boost::asio::any_io_executor ex, int id, std::uint64_t gen)
      : cb(std::move(owner), std::move(ex), id, gen) {}
  ~paho_client() { cli.reset(); }  // MQTTAsync_destroy first; then the callbacks go
  paho_client(const paho_client&) = delete;
  paho_client& operator=(const paho_client&) = delete;

  callbacks cb;                               ///< the listener of every token of `cli`
  std::unique_ptr<::mqtt::async_client> cli;  ///< null until the owner creates it
};

}  // namespace nt35e::paho::detail
