#include "io/ready_poller.hpp"

#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

namespace nt35e::io {

namespace net = boost::asio;

struct ready_poller::state {
  struct entry {
    net::any_io_executor ex;
    std::shared_ptr<const handler> on_ready;
  };
  explicit state(int fd) : set(fd) {}
  ~state() { ::close(set); }
  const int set;
  std::mutex mutex;
  std::unordered_map<std::uint64_t, entry> watches;  ///< by the id the set's events carry
  std::uint64_t next_id = 1;
  bool waiting = false;  ///< the reactor waits for the set (set once, under the mutex)
};

ready_poller::ready_poller(net::io_context& ioc) : set_(ioc) {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return;
  auto s = std::make_shared<state>(fd);
  const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return;
  boost::system::error_code ec;
  set_.assign(dup, ec);
  if (ec) {
    ::close(dup);
    return;
  }
  state_ = std::move(s);
}

ready_poller::~ready_poller() {
  boost::system::error_code ignored;
  set_.close(ignored);  // the pending wait ends with operation_aborted and touches nothing
}

std::unique_ptr<ready_poller::watch> ready_poller::add(int fd, net::any_io_executor ex, handler on_ready) {
  if (!state_) return nullptr;
  std::lock_guard lock(state_->mutex);
  const std::uint64_t id = state_->next_id++;
  state_->watches.emplace(id, state::entry{std::move(ex), std::make_shared<const handler>(std::move(on_ready))});
  // The set is waited for from its first line on (an io_context with no line is not kept
  // running by it), then for as long as the poller lives.
  if (!std::exchange(state_->waiting, true)) wait();
  return std::unique_ptr<watch>(new watch(state_, fd, id));
}

ready_poller::watch::~watch() {
  if (added_) ::epoll_ctl(state_->set, EPOLL_CTL_DEL, fd_, nullptr);
  std::lock_guard lock(state_->mutex);
  state_->watches.erase(id_);  // an event taken before the DEL finds no entry and is dropped
}

bool ready_poller::watch::arm(std::uint32_t events, boost::system::error_code& ec) {
  epoll_event ev{};
  ev.events = events | EPOLLONESHOT;
  ev.data.u64 = id_;
  // MOD re-checks readiness: input that came before the arm still gives its event.
  if (::epoll_ctl(state_->set, added_ ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd_, &ev) != 0) {
    ec.assign(errno, boost::system::system_category());
    return false;
  }
  added_ = true;
  return true;
}

void ready_poller::wait() {
  set_.async_wait(net::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec) return;  // closed: the poller is gone
    poll();
    wait();
  });
}

void ready_poller::poll() {
  if (!state_) return;
  thread_local std::vector<epoll_event> events(batch);
  struct due_entry {
    state::entry e;
    std::uint32_t events;
  };
  thread_local std::vector<due_entry> due;
  for (int round = 0; round < 16; ++round) {
    const int n = ::epoll_wait(state_->set, events.data(), batch, 0);
    if (n <= 0) break;
    {
      std::lock_guard lock(state_->mutex);
      for (int i = 0; i < n; ++i) {
        // epoll_event is packed on x86-64: its fields are read by value, never bound to a
        // reference (misaligned).
        const std::uint64_t id = events[static_cast<std::size_t>(i)].data.u64;
        const std::uint32_t ready = events[static_cast<std::size_t>(i)].events;
        if (auto it = state_->watches.find(id); it != state_->watches.end()) due.push_back({it->second, ready});
      }
    }
    // Queued outside the lock: a lane's queue has a lock of its own.
    for (auto& d : due) net::post(d.e.ex, [f = std::move(d.e.on_ready), ev = d.events] { (*f)(ev); });
    due.clear();
    if (n < batch) break;
  }
}

}  // namespace nt35e::io
