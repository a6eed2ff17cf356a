#include "paho/listen_gate.hpp"

#include <utility>

namespace nt35e::paho::detail {

listen_gate& listen_gate::process() {
  // Never destroyed: a relay that outlives main() (held by a pending handler while the
  // process exits) still releases its slot into a live gate.
  static auto* gate = new listen_gate(process_slots);
  return *gate;
}

std::uint64_t listen_gate::acquire(granted_fn granted) {
  {
    std::lock_guard lock(mutex_);
    if (free_ == 0 || !waiting_.empty()) {
      const auto ticket = next_ticket_++;
      waiting_.emplace(ticket, std::move(granted));
      return ticket;
    }
    --free_;
  }
  granted(slot(this));
  return 0;
}

void listen_gate::cancel(std::uint64_t ticket) {
  if (ticket == 0) return;
  std::lock_guard lock(mutex_);
  waiting_.erase(ticket);
}

void listen_gate::release() {
  granted_fn next;
  {
    std::lock_guard lock(mutex_);
    if (waiting_.empty()) {
      ++free_;
      return;
    }
    auto first = waiting_.begin();
    next = std::move(first->second);
    waiting_.erase(first);
  }
  // The freed slot goes to the next waiter without ever being free: a newcomer cannot
  // take it first.
  next(slot(this));
}

std::size_t listen_gate::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

}  // namespace nt35e::paho::detail
