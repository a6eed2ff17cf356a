#include "paho/call_queue.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <utility>

namespace nt35e::paho::detail {
namespace {

class threaded_queue final : public call_queue {
 public:
  threaded_queue() {
    std::thread([this] { run(); }).detach();
  }

  void push(call c) override { push_entry({std::move(c), nullptr}); }

  void run_or_push(call c) override {
    int none = 0;
    if (!pending_.compare_exchange_strong(none, 1)) return push(std::move(c));
    run_one(c);
    pending_.fetch_sub(1);
  }

  void drain() override {
    std::promise<void> done;
    auto finished = done.get_future();
    push_entry({[] {}, &done});
    finished.wait();
  }

 private:
  /// A call, and whom to tell once it is over and no longer counted (drain()).
  struct entry {
    call c;
    std::promise<void>* finished = nullptr;
  };

  void push_entry(entry e) {
    pending_.fetch_add(1);
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(std::move(e));
    }
    ready_.notify_one();
  }

  void run() {
    for (;;) {
      entry e;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return !calls_.empty(); });
        e = std::move(calls_.front());
        calls_.pop_front();
      }
      run_one(e.c);  // the call owns what it captured; it goes here, on this thread
      e.c = nullptr;
      pending_.fetch_sub(1);
      if (e.finished) e.finished->set_value();  // after the count: drain() then finds it idle
    }
  }

  static void run_one(call& c) {
    try {
      c();
    } catch (...) {
      // A call reports its own failures; nothing may end the queue's thread.
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<entry> calls_;
  std::atomic<int> pending_{0};  ///< queued + running (on the queue's thread or inline)
};

}  // namespace

call_queue& call_queue::instance() {
  // Never destroyed: its thread runs for the life of the process.
  static threaded_queue* q = new threaded_queue;
  return *q;
}

}  // namespace nt35e::paho::detail
