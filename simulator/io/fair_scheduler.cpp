#include "io/fair_scheduler.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

namespace nt35e::io {

namespace net = boost::asio;

namespace {
constexpr auto later = [](const auto& a, const auto& b) {
  if (a.input != b.input) return a.input > b.input;
  return a.sent != b.sent ? a.sent > b.sent : a.order > b.order;
};
}  // namespace

net::execution_context& fair_scheduler::executor::query(net::execution::context_t) const noexcept {
  return lane_->owner->ioc_;
}

void fair_scheduler::executor::count_input(std::size_t bytes) const {
  std::lock_guard lock(lane_->owner->mutex_);
  lane_->input += bytes;
  lane_->sent += bytes;
}

ready_poller* fair_scheduler::executor::poller() const noexcept {
  return lane_->owner->poller_.valid() ? &lane_->owner->poller_ : nullptr;
}

fair_scheduler::fair_scheduler(net::io_context& ioc, unsigned threads)
    : ioc_(ioc), max_turns_(threads > 0 ? threads : 1), poller_(ioc) {}

fair_scheduler::~fair_scheduler() {
  for (auto& l : lanes_)
    while (work* w = l->head) {
      l->head = w->next;
      delete w;
    }
}

fair_scheduler::executor fair_scheduler::make_lane() {
  lanes_.push_back(std::make_unique<lane>());
  lanes_.back()->owner = this;
  return executor(lanes_.back().get(), false);
}

void fair_scheduler::push(lane& l, work* w) {
  bool post = false;
  {
    std::lock_guard lock(mutex_);
    (l.tail ? l.tail->next : l.head) = w;
    l.tail = w;
    if (w->dte) ++l.dte_waiting;
    if (!l.running) make_ready(l);
    if (turns_ < max_turns_) {
      ++turns_;
      post = true;
    }
  }
  if (post) post_turn();
}

void fair_scheduler::make_ready(lane& l) {
  // A lane that gets DTE work while it waits among the others goes in the DTE queue
  // too; its other entry is dropped later.
  if (l.dte_waiting > 0) {
    if (!l.in_dte) enqueue_dte(l);
  } else if (!l.in_dte && !l.in_other) {
    other_ready_.push_back(&l);
    l.in_other = true;
  }
}

void fair_scheduler::enqueue_dte(lane& l) {
  // At most quiet_credit bytes below the lanes waiting, however long it was quiet.
  l.input = std::max(l.input, clock_ > quiet_credit ? clock_ - quiet_credit : 0);
  dte_ready_.push_back(entry{l.input, l.sent, order_++, &l});
  std::push_heap(dte_ready_.begin(), dte_ready_.end(), later);
  l.in_dte = true;
}

fair_scheduler::lane* fair_scheduler::pop_dte() {
  while (!dte_ready_.empty()) {
    std::pop_heap(dte_ready_.begin(), dte_ready_.end(), later);
    const entry e = dte_ready_.back();
    dte_ready_.pop_back();
    lane* l = e.l;
    l->in_dte = false;
    if (l->running || !l->head) continue;
    if (e.input < l->input) {
      enqueue_dte(*l);  // its DTE sent more since: back in at the new count
      continue;
    }
    clock_ = std::max(clock_, e.input);
    return l;
  }
  return nullptr;
}

fair_scheduler::lane* fair_scheduler::pop_other() {
  while (!other_ready_.empty()) {
    lane* l = other_ready_.front();
    other_ready_.pop_front();
    l->in_other = false;
    if (!l->running && l->head) return l;
  }
  return nullptr;
}

fair_scheduler::lane* fair_scheduler::pick() {
  lane* l = nullptr;
  if (dte_streak_ >= dte_picks_per_other) {
    dte_streak_ = 0;
    l = pop_other();
  }
  if (!l && (l = pop_dte()) != nullptr) {
    if (!other_ready_.empty()) ++dte_streak_;
  }
  if (!l) {
    dte_streak_ = 0;
    l = pop_other();
  }
  if (l) l->running = true;
  return l;
}

void fair_scheduler::post_turn() {
  net::post(ioc_, [this] { turn(); });
}

void fair_scheduler::turn() {
  // Ends the turn however the handlers leave (an exception goes on to the pool's
  // thread, which logs it and runs again).
  struct ender {
    fair_scheduler* self;
    ~ender() { self->end_turn(); }
  } end{this};
  // The lines that became ready while the last turn ran (one epoll_wait; several threads
  // may: each ready line is handed to one of them).
  poller_.poll();
  for (unsigned ran = 0; ran < turn_budget;) {
    lane* l = nullptr;
    {
      std::lock_guard lock(mutex_);
      l = pick();
    }
    if (!l) break;
    ran += run_lane(*l);
  }
}

unsigned fair_scheduler::run_lane(lane& l) {
  // The lane must not stay marked running when a handler throws.
  struct ender {
    fair_scheduler* self;
    lane& l;
    ~ender() { self->end_lane(l); }
  } end{this, l};
  unsigned n = 0;
  while (n < lane_limit) {
    work* w = nullptr;
    {
      std::lock_guard lock(mutex_);
      w = l.head;
      if (!w) break;
      l.head = w->next;
      if (!l.head) l.tail = nullptr;
      if (w->dte) --l.dte_waiting;
    }
    std::unique_ptr<work> owned(w);
    ++n;
    w->run();
  }
  return n;
}

void fair_scheduler::end_lane(lane& l) {
  std::lock_guard lock(mutex_);
  l.running = false;
  if (l.head) make_ready(l);
}

void fair_scheduler::end_turn() {
  bool again = false;
  {
    std::lock_guard lock(mutex_);
    again = any_ready();
    if (!again) --turns_;
  }
  // Behind the I/O completions that came meanwhile.
  if (again) post_turn();
}

net::any_io_executor dte_line(const net::any_io_executor& ex) {
  if (const auto* lane = ex.target<fair_scheduler::executor>()) return lane->dte_line();
  return ex;
}

void count_dte_input(const net::any_io_executor& ex, std::size_t bytes) {
  if (const auto* lane = ex.target<fair_scheduler::executor>()) lane->count_input(bytes);
}

ready_poller* line_poller(const net::any_io_executor& ex) {
  const auto* lane = ex.target<fair_scheduler::executor>();
  return lane ? lane->poller() : nullptr;
}

}  // namespace nt35e::io
