#pragma once
// A fleet's DTE sockets, their readiness seen all at once.
//
// Why: asio's reactor takes at most 128 events from each epoll_wait, and epoll hands out
// ready sockets first come, first served. With 999 lines publishing flat out, nearly all
// of them are ready at any moment, so an idle modem's line that becomes readable queues
// behind every line ready before it and is seen only several reactor polls later: after a
// whole round of the fleet (20-50 ms; bench/README.md "Fairness"). Until its read is seen
// the fair scheduler cannot put it first. Here the lines sit in an epoll set of their own,
// which the reactor watches as one descriptor; each time it is readable, every ready line
// is taken from it at once and its handler queued on its lane, where io/fair_scheduler
// orders them (an idle line first).
//
// A watch gives one call of its handler per arm() (EPOLLONESHOT), as an async_wait does:
// the handler reads or writes, then arms again for what it still waits for. The socket
// must not be in asio's reactor too (release it from its asio socket): there its events
// would still queue first come, first served, and this poller's descriptor behind them.
//
// Thread safety: any member, from any thread; a watch's own calls from one thread at a time.

#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>

namespace nt35e::io {

class ready_poller {
  struct state;

 public:
  /// Ready lines taken from the set per epoll_wait; a poll takes at most 16 of these
  /// batches before giving the io_context's queue a turn (the rest wait for the next).
  static constexpr int batch = 1024;

  /// valid() is false when no epoll set could be made (the caller keeps asio's own waits).
  explicit ready_poller(boost::asio::io_context& ioc);
  ~ready_poller();
  ready_poller(const ready_poller&) = delete;
  ready_poller& operator=(const ready_poller&) = delete;

  [[nodiscard]] bool valid() const { return static_cast<bool>(state_); }

  class watch {
   public:
    /// Takes the socket out of the set: destroy it before the socket is closed (a closed
    /// descriptor's number may already be another socket's).
    ~watch();
    watch(const watch&) = delete;
    watch& operator=(const watch&) = delete;

    /// The handler runs once, on its executor, when the socket is ready for one of
    /// `events` (EPOLLIN, EPOLLOUT; at once if it already is), with the events that are.
    /// False and `ec` set if the kernel refused.
    bool arm(std::uint32_t events, boost::system::error_code& ec);

   private:
    friend class ready_poller;
    watch(std::shared_ptr<state> s, int fd, std::uint64_t id) : state_(std::move(s)), fd_(fd), id_(id) {}
    std::shared_ptr<state> state_;
    int fd_;
    std::uint64_t id_;
    bool added_ = false;
  };

  using handler = std::function<void(std::uint32_t events)>;

  /// Watches `fd` (not yet armed); `on_ready` is queued on `ex` once per arm().
  std::unique_ptr<watch> add(int fd, boost::asio::any_io_executor ex, handler on_ready);

  /// Queues the handlers of the lines ready now, without waiting. The reactor does it too,
  /// but only when a pool thread comes round to it; the fleet's scheduler calls this at
  /// the start of every turn, so a line is seen within one turn of becoming ready.
  void poll();

 private:
  void wait();

  std::shared_ptr<state> state_;
  boost::asio::posix::stream_descriptor set_;  ///< a duplicate of the set's descriptor, for the reactor
};

}  // namespace nt35e::io
