#include "paho/call_queue.hpp"

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

  void push(call c) override {
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(std::move(c));
    }
    ready_.notify_one();
  }

  void drain() override {
    std::promise<void> done;
    auto ran = done.get_future();
    push([&done] { done.set_value(); });
    ran.wait();
  }

 private:
  void run() {
    for (;;) {
      call c;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return !calls_.empty(); });
        c = std::move(calls_.front());
        calls_.pop_front();
      }
      try {
        c();  // the call owns what it captured; it goes here, on this thread
      } catch (...) {
        // A call reports its own failures; nothing may end this thread.
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<call> calls_;
};

}  // namespace

call_queue& call_queue::instance() {
  // Never destroyed: its thread runs for the life of the process.
  static threaded_queue* q = new threaded_queue;
  return *q;
}

}  // namespace nt35e::paho::detail
