#pragma once
// The fleet's scheduler: one lane per modem, DTE work ahead of MQTT work, and a quiet
// modem's line ahead of busy ones.
//
// A lane is a strand: its handlers run one at a time, in the order they were queued,
// on whichever thread of the io_context's pool. What differs from asio strands is who
// runs next. Strands queue their turns on the io_context, whose queue is FIFO across
// all modems: with 999 modems publishing flat out, an idle modem's read completion
// waited behind every other modem's ready handlers (p99 47-54 ms, bench/README.md
// "Fairness"). Here at most one turn per pool thread is queued on the io_context, so
// I/O completions (which only queue handlers on lanes) wait for a turn or two, not for
// a whole fleet's; and a turn picks its lanes as it runs:
//  * DTE work first: a lane with a handler queued through dte_line() (the line's read
//    and write completions) goes before a lane with only other work (timers, MQTT
//    events, posts); every `dte_picks_per_other`-th pick goes to the other work while
//    some waits, so a fleet's DTE traffic cannot starve its MQTT work.
//  * Among lanes with DTE work, fair queueing by the bytes each line has sent (as a
//    router shares a link): the lane whose DTE has sent the fewest bytes goes first.
//    999 modems publishing flat out all have DTE input waiting, so first come first
//    served would still put an idle modem's `AT` behind all of them; by bytes it goes
//    ahead of the 70-byte AT+ECMTPUB lines. A lane that comes back after a quiet spell
//    starts `quiet_credit` bytes below the lanes waiting, so its next line goes ahead of
//    theirs, and no further, so a quiet line gets no monopoly; among lanes level, the one
//    whose line sent less in all goes first. (Without the credit it came back level with
//    the lanes waiting; with 999 publishing flat out the publishers, each quiet while
//    it waits for its OK, came back level too, and the idle modem's `AT` waited behind
//    hundreds of them: p99 20-50 ms.)
//  * Other work: first come, first served.
// A turn runs lanes until `turn_budget` handlers ran, then queues the next turn behind
// the I/O completions that came meanwhile. (Not one lane per turn: asio polls its
// reactor each time its queue comes round, and with zero-delay timers each poll costs
// a timerfd_settime; one lane per turn cut a fleet's publish rate by 3x.)
//
// Thread safety: an executor may be used from any thread (Paho's callbacks post to
// it); make_lane() only while no pool thread runs.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>

#include "io/ready_poller.hpp"

namespace nt35e::io {

class fair_scheduler {
  struct lane;

 public:
  /// Picks given to lanes with DTE work, while other work waits, before one goes to that.
  static constexpr unsigned dte_picks_per_other = 4;
  /// The most handlers a lane runs when picked; the rest wait for its next pick.
  static constexpr unsigned lane_limit = 16;
  /// Bytes a lane that comes back after a quiet spell starts below the lanes waiting:
  /// about two AT+ECMTPUB lines of a small message.
  static constexpr std::uint64_t quiet_credit = 128;
  /// Handlers a turn runs (lane after lane) before the io_context's queue comes round.
  static constexpr unsigned turn_budget = 16;

  /// One lane's executor; a copy made by dte_line() queues its handlers as DTE work.
  class executor {
   public:
    boost::asio::execution_context& query(boost::asio::execution::context_t) const noexcept;
    static constexpr boost::asio::execution::blocking_t query(boost::asio::execution::blocking_t) noexcept {
      return boost::asio::execution::blocking.never;
    }
    /// Handlers never run inside execute(): it only queues them.
    executor require(boost::asio::execution::blocking_t::never_t) const noexcept { return *this; }

    template <class F>
    void execute(F&& f) const {
      lane_->owner->push(*lane_, new handler<std::decay_t<F>>(std::forward<F>(f), dte_));
    }

    /// The same lane, its handlers queued as DTE work.
    executor dte_line() const noexcept { return executor(lane_, true); }
    /// Counts `bytes` the lane's DTE sent (what the fair queueing shares out).
    void count_input(std::size_t bytes) const;
    /// Where the lane's DTE socket waits for input (io/ready_poller.hpp); null: asio's waits.
    ready_poller* poller() const noexcept;

    friend bool operator==(const executor& a, const executor& b) noexcept {
      return a.lane_ == b.lane_ && a.dte_ == b.dte_;
    }
    friend bool operator!=(const executor& a, const executor& b) noexcept { return !(a == b); }

   private:
    friend class fair_scheduler;
    executor(lane* l, bool dte) noexcept : lane_(l), dte_(dte) {}
    lane* lane_;
    bool dte_;
  };

  /// Turns run on `ioc`, at most `threads` queued at a time (the threads that run it).
  fair_scheduler(boost::asio::io_context& ioc, unsigned threads);
  /// Destroys the handlers still queued (without running them).
  ~fair_scheduler();
  fair_scheduler(const fair_scheduler&) = delete;
  fair_scheduler& operator=(const fair_scheduler&) = delete;

  /// A new lane (one per modem); valid while the scheduler lives.
  executor make_lane();

 private:
  struct work {
    explicit work(bool dte) : dte(dte) {}
    virtual ~work() = default;
    virtual void run() = 0;
    work* next = nullptr;
    bool dte;
  };
  template <class F>
  struct handler final : work {
    handler(F&& f, bool dte) : work(dte), f(std::move(f)) {}
    handler(const F& f, bool dte) : work(dte), f(f) {}
    void run() override { std::move(f)(); }
    F f;
  };
  // Guarded by mutex_ (owner is set once). A lane is in each ready queue at most once
  // (in_dte, in_other); an entry whose lane is running or empty is dropped when popped,
  // and a DTE entry whose lane has counted input since goes back in at its new count.
  struct lane {
    fair_scheduler* owner;
    work* head = nullptr;
    work* tail = nullptr;
    std::uint64_t input = 0;   ///< bytes its DTE sent, raised when it comes back (enqueue_dte)
    std::uint64_t sent = 0;    ///< bytes its DTE sent (never raised)
    unsigned dte_waiting = 0;  ///< queued handlers that are DTE work
    bool running = false;
    bool in_dte = false, in_other = false;
  };
  struct entry {
    std::uint64_t input;
    std::uint64_t sent;   ///< among equal counts, the line that sent less goes first
    std::uint64_t order;  ///< then first come, first served
    lane* l;
  };

  void push(lane& l, work* w);
  void make_ready(lane& l);
  void enqueue_dte(lane& l);
  lane* pop_dte();
  lane* pop_other();
  lane* pick();
  bool any_ready() const { return !dte_ready_.empty() || !other_ready_.empty(); }
  void post_turn();
  void turn();
  unsigned run_lane(lane& l);
  void end_lane(lane& l);
  void end_turn();

  boost::asio::io_context& ioc_;
  const unsigned max_turns_;
  std::mutex mutex_;
  std::vector<entry> dte_ready_;  ///< a min-heap by (input, sent, order)
  std::deque<lane*> other_ready_;
  std::uint64_t order_ = 0;
  std::uint64_t clock_ = 0;  ///< the input count of the DTE lane picked last (never goes back)
  unsigned turns_ = 0;       ///< turns queued on the io_context or running
  unsigned dte_streak_ = 0;  ///< picks given to DTE work in a row while other work waited
  std::vector<std::unique_ptr<lane>> lanes_;
  ready_poller poller_;  ///< the lanes' DTE sockets, seen all at once
};

/// `ex` with its handlers queued as DTE work when it is a fair_scheduler lane; else `ex`
/// unchanged (a single modem on its own io_context has nobody to go ahead of).
boost::asio::any_io_executor dte_line(const boost::asio::any_io_executor& ex);

/// Counts `bytes` from the DTE on `ex`'s lane (nothing when `ex` is not a lane).
void count_dte_input(const boost::asio::any_io_executor& ex, std::size_t bytes);

/// The poller for DTE sockets whose handlers run on `ex`'s lane; null when `ex` is not a
/// lane (a single modem: asio's own waits cost one hop less) or no epoll set could be made.
ready_poller* line_poller(const boost::asio::any_io_executor& ex);

}  // namespace nt35e::io
