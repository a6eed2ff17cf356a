#include "io/session.hpp"

#include <chrono>
#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "modem/modem.hpp"

namespace nt35e::io {

namespace net = boost::asio;
using modem::clock;

namespace {

/// Runs one interpreter call; a bug in the core is logged, not allowed to take the
/// whole simulator (and the DTE's line) down.
template <class Call>
modem::actions guarded(logger& log, const char* what, Call&& call) {
  try {
    return call();
  } catch (const std::exception& e) {
    log.log(log_level::error, std::string("internal error in the modem core (") + what + "): " + e.what());
  } catch (...) {
    log.log(log_level::error, std::string("internal error in the modem core (") + what + ")");
  }
  return {};
}

}  // namespace

session::session(net::any_io_executor ex, modem::profile profile, mqtt::backend* backend, logger& log,
                 const scenario::scenario& world)
    : session(std::move(ex), std::make_shared<const modem::profile>(std::move(profile)), backend, log,
              std::make_shared<const scenario::scenario>(world)) {}

session::session(net::any_io_executor ex, std::shared_ptr<const modem::profile> profile, mqtt::backend* backend,
                 logger& log, std::shared_ptr<const scenario::scenario> world)
    : ex_(std::move(ex)),
      profile_(std::move(profile)),
      world_(std::move(world)),
      backend_(backend),
      log_(log),
      timer_(ex_),
      uart_(profile_->uart),
      pace_timer_(ex_),
      self_(std::make_shared<session*>(this)) {
  if (backend_) {
    // Backends call the sink on our executor. Inside run() (a backend answering from
    // within submit()) the event is queued for run(), so it never re-enters the
    // interpreter; otherwise it is handled at once, saving a turn of the event loop.
    std::weak_ptr<session*> weak = self_;
    backend_->set_sink([weak](mqtt::any_event event) {
      auto self = weak.lock();
      if (!self) return;
      if ((*self)->running_) {
        (*self)->early_events_.push_back(std::move(event));
        return;
      }
      (*self)->on_mqtt_event(event);
    });
  }
}

session::~session() {
  if (backend_) backend_->set_sink(nullptr);
}

void session::power_on(std::shared_ptr<const modem::profile> profile) {
  const auto now = clock::now();
  interpreter_.emplace(std::move(profile), now, *world_);
  // The wall clock is read here, at the I/O edge, and handed to the core (AT+CCLK).
  const auto utc =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  interpreter_->set_utc(utc.count(), now);
}

void session::start() {
  if (interpreter_ || stopped_) return;
  if (replay_) {
    log_.log(log_level::info, "the module answers from the trace until it hands over");
    arm_timer();
    return;
  }
  power_on(profile_);
  log_.log(log_level::debug, "module powered on (profile " + profile_->name + ")");
  arm_timer();
}

void session::hand_over() {
  // The replay asked to go live: the real module takes the line from here.
  auto leftover = replay_->pending_input();
  replay_.reset();
  armed_for_.reset();
  timer_.cancel();
  // The trace already played the boot: the module takes over booted and registered.
  auto booted = std::make_shared<modem::profile>(*profile_);
  booted->start_registered = true;
  power_on(std::move(booted));
  log_.log(log_level::info,
           "replay handed over to the module (" + std::to_string(leftover.size()) + " bytes of host input passed on)");
  if (!leftover.empty())
    run(guarded(log_, "feed", [&] { return interpreter_->feed(leftover, clock::now()); }));
  else
    arm_timer();
}

void session::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  pace_timer_.cancel();
  armed_for_.reset();
  if (backend_) backend_->set_sink(nullptr);
}

void session::attach(dte_stream& stream) {
  stream_ = &stream;
  overflowing_ = false;
  do_write();
}

void session::detach() {
  stream_ = nullptr;
  // Output not yet written belonged to the DTE that left; a UART with nothing on the
  // other end loses it too. A write already in flight finishes (or fails) on its own.
  queue_.clear();
  queue_head_ = 0;
  pace_timer_.cancel();
  pacing_ = false;
  uart_.reset();
  check_quiet();
}

void session::receive(std::string_view bytes) {
  if (bytes.empty()) return;
  logger::batch lines(log_);
  log_.dte_in(bytes);
  const auto now = clock::now();
  if (observer_) observer_->on_input(bytes, now);
  if (tap_) tap_->dte_in(bytes, now);
  if (stopped_) return;
  if (replay_) {
    run(guarded(log_, "replay", [&] { return replay_->feed(bytes, now); }));
    return;
  }
  if (!interpreter_) return;
  run(guarded(log_, "feed", [&] { return interpreter_->feed(bytes, now); }));
}

modem::snapshot session::snapshot() const {
  if (!interpreter_) {
    modem::snapshot s;
    s.profile = profile_->name;
    s.booting = true;
    s.count.output_dropped_bytes = dropped_bytes_;
    return s;
  }
  auto s = interpreter_->take_snapshot(clock::now());
  s.count.output_dropped_bytes = dropped_bytes_;
  return s;
}

void session::fire(const scenario::action& action) {
  if (!interpreter_ || stopped_) {
    log_.log(log_level::warn,
             std::string("the module is not running: action ") + scenario::to_string(action.kind) + " ignored");
    return;
  }
  logger::batch lines(log_);
  run(guarded(log_, "fire", [&] { return interpreter_->fire(action, clock::now()); }));
}

void session::on_mqtt_event(const mqtt::any_event& event) {
  logger::batch lines(log_);
  auto actions = take_mqtt_event(event);
  if (!interpreter_ || stopped_) return;
  run(std::move(actions));
}

modem::actions session::take_mqtt_event(const mqtt::any_event& event, bool early) {
  log_.log(log_level::info, "MQTT <- " + mqtt::describe(event));
  if (tap_) tap_->event(event, clock::now());
  if (!interpreter_ || stopped_) return {};
  // An early event belongs to the call that made its request: at that call's time, so
  // that nothing the modem scheduled meanwhile falls due before it.
  const auto at = early ? interpreter_->state().now() : clock::now();
  return guarded(log_, "mqtt event", [&] { return interpreter_->on_mqtt_event(event, at); });
}

void session::run(modem::actions actions) {
  // Output of the whole call (and of work already due) leaves in one write.
  running_ = true;
  for (int turn = 0;; ++turn) {
    perform(actions);
    // Answers a backend gave from inside submit() (a publish it cannot send) reach the
    // modem now, in order, before any of its timers: the module's own QoS 0 report, due
    // at once with zero delays, must see them. Finite: each comes from a request.
    while (!early_events_.empty()) {
      auto batch = std::move(early_events_);
      early_events_.clear();
      for (const auto& event : batch) {
        auto more = take_mqtt_event(event, /*early=*/true);
        perform(more);
      }
    }
    if (replay_ || !interpreter_ || stopped_ || turn == max_immediate_turns) break;
    // Delays shorter than the time this call took are due already: running them
    // here saves a timer round trip (an armed timer is one syscall, its expiry another
    // turn of the event loop). Bounded, so a busy modem still lets others run.
    auto deadline = interpreter_->next_deadline();
    auto now = clock::now();
    if (!deadline || *deadline > now) break;
    actions = guarded(log_, "timer", [&] { return interpreter_->on_timer(now); });
  }
  running_ = false;
  do_write();
  regulate_receiving();
  if (replay_ && replay_->handover_requested()) {
    hand_over();
    return;
  }
  if (observer_ && interpreter_) observer_->on_commands(interpreter_->state().count.commands, clock::now());
  arm_timer();
  check_quiet();
}

void session::regulate_receiving() {
  if (!backend_ || !interpreter_) return;
  const auto& m = interpreter_->state();
  const std::size_t held = m.messages_held(), bytes = m.message_bytes_held();
  if (!receive_paused_ && (held >= max_held_messages || bytes >= max_held_bytes)) {
    receive_paused_ = true;
    log_.log(log_level::debug, std::to_string(held) + " incoming messages (" + std::to_string(bytes) +
                                   " bytes) wait for the module: the broker's next ones wait in the network");
    backend_->pause_receiving(true);
  } else if (receive_paused_ && held <= max_held_messages / 2 && bytes <= max_held_bytes / 2) {
    receive_paused_ = false;
    log_.log(log_level::debug, "the module caught up with incoming messages: receiving again");
    backend_->pause_receiving(false);
  }
}

void session::perform(modem::actions& actions) {
  for (auto& action : actions) {
    std::visit(
        [this](auto& a) {
          using type = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<type, modem::write_bytes>) {
            write(std::move(a.bytes));
          } else if constexpr (std::is_same_v<type, mqtt::any_request>) {
            log_.log(log_level::info, "MQTT -> " + mqtt::describe(a, profile_->show_secrets));
            if (tap_) tap_->request(a, clock::now());
            if (backend_)
              backend_->submit(std::move(a));
            else
              log_.log(log_level::info, "no MQTT backend: request dropped");
          } else if constexpr (std::is_same_v<type, modem::log_record>) {
            log_.log(a.level, a.reason.empty() ? a.text : a.reason + ": " + a.text);
            if (tap_) tap_->note(a, clock::now());
          } else if constexpr (std::is_same_v<type, modem::line_noise>) {
            uart_.add_noise(a);
            log_.log(
                log_level::info,
                std::string("line noise on the output: ") + (a.drop ? "dropped" : "flipped") + " bytes (" +
                    std::to_string(a.percent) + " %) for " +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(a.until - a.from).count()) +
                    " ms");
            do_write();  // output already waiting may now meet the noise piece by piece
          }
        },
        action);
  }
}

void session::arm_timer() {
  if ((!interpreter_ && !replay_) || stopped_) return;
  auto deadline = replay_ ? replay_->next_deadline() : interpreter_->next_deadline();
  if (deadline == armed_for_) return;  // the pending wait already covers it
  // A wait that ends sooner than needed is kept: it wakes the modem early, finds nothing
  // due and re-arms then. Moving it later on every command (the partial-line hold moves
  // with each line) would cost a timerfd_settime per command instead.
  if (armed_for_ && (!deadline || *armed_for_ <= *deadline)) return;
  armed_for_ = deadline;
  if (!deadline) {
    timer_.cancel();
    return;
  }
  // expires_at cancels the previous wait; its handler sees operation_aborted.
  timer_.expires_at(*deadline);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec == net::error::operation_aborted) return;
    on_timer(ec);
  });
}

void session::on_timer(const boost::system::error_code& ec) {
  if (ec || stopped_) return;
  armed_for_.reset();
  logger::batch lines(log_);
  if (replay_) {
    run(guarded(log_, "replay timer", [&] { return replay_->on_timer(clock::now()); }));
    return;
  }
  if (!interpreter_) return;
  run(guarded(log_, "timer", [&] { return interpreter_->on_timer(clock::now()); }));
}

void session::write(std::string bytes) {
  if (bytes.empty()) return;
  // One time for both: the verdict of the recording after the fact sees what the live one saw.
  const auto now = clock::now();
  if (observer_) observer_->on_output(bytes, now);
  if (tap_) tap_->dte_out(bytes, now);
  if (!stream_) {
    log_.dte_out(bytes, "no DTE attached");
    return;
  }
  // The write in flight counts too: it is held whole until the DTE has taken all of it.
  if (in_flight_.size() + waiting() + bytes.size() > max_queued_bytes) {
    // The DTE is attached but not reading, or a slow --baud cannot keep up (flow control
    // off, like the module's UART): keep memory bounded, count the loss, say so once per episode.
    if (!overflowing_)
      log_.log(log_level::warn, "the DTE is not reading (" + std::to_string(in_flight_.size() + waiting()) +
                                    " bytes wait for it); dropping output until it catches up");
    overflowing_ = true;
    dropped_bytes_ += bytes.size();
    log_.dte_out(bytes, "the DTE is not reading");
    return;
  }
  log_.dte_out(bytes);
  queue_ += bytes;
  if (!running_) do_write();  // run() writes once at its end
}

void session::do_write() {
  if (writing_ || pacing_ || !stream_ || waiting() == 0) return;
  if (!uart_.shaping()) {
    // A plain pipe: everything waiting leaves in one write.
    writing_ = true;
    if (queue_head_ > 0) queue_.erase(0, queue_head_);
    in_flight_.swap(queue_);
    queue_.clear();
    queue_head_ = 0;
    stream_->async_write(net::buffer(in_flight_), [this](const boost::system::error_code& ec) { on_written(ec); });
    return;
  }
  const auto now = clock::now();
  auto w = uart_.next_write(std::string_view(queue_).substr(queue_head_), now);
  if (w.at <= now) return write_piece(w);
  // The piece is still on the wire: wait for its last bit on a timer, never here.
  pacing_ = true;
  pace_timer_.expires_at(w.at);
  pace_timer_.async_wait([this, w](const boost::system::error_code& ec) {
    if (ec == net::error::operation_aborted) return;
    pacing_ = false;
    if (stopped_ && !stream_) return;
    write_piece(w);
  });
}

void session::write_piece(const uart_line::write& w) {
  if (!stream_ || waiting() < w.size) return do_write();  // the queue changed meanwhile (a DTE left)
  uart_.commit(w);
  in_flight_.assign(queue_, queue_head_, w.size);
  queue_head_ += w.size;
  if (queue_head_ == queue_.size()) {
    queue_.clear();
    queue_head_ = 0;
  } else if (queue_head_ > 64 * 1024 && queue_head_ > queue_.size() / 2) {
    queue_.erase(0, queue_head_);  // keep the piecewise front cheap
    queue_head_ = 0;
  }
  if (auto hit = uart_.apply_noise(in_flight_, clock::now()))
    log_.log(log_level::debug, "line noise hit " + std::to_string(hit) + " byte(s) of the output");
  if (in_flight_.empty()) {
    // Noise dropped the whole piece: nothing to write; go on without re-entering.
    net::post(ex_, [this, alive = std::weak_ptr<session*>(self_)] {
      if (alive.lock()) do_write();
    });
    return;
  }
  writing_ = true;
  stream_->async_write(net::buffer(in_flight_), [this](const boost::system::error_code& ec) { on_written(ec); });
}

void session::on_written(const boost::system::error_code& ec) {
  writing_ = false;
  in_flight_.clear();
  // A failed write means the DTE is going away; its transport sees the same error on
  // the read side and detaches, so nothing else to do here.
  if (ec && ec != net::error::operation_aborted) log_.log(log_level::debug, "write to the DTE failed: " + ec.message());
  if (waiting() == 0 && overflowing_ && dropped_bytes_ > 0)
    log_.log(log_level::warn, std::to_string(dropped_bytes_) + " bytes of output were dropped so far");
  if (waiting() == 0) overflowing_ = false;
  do_write();
  check_quiet();
}

void session::when_quiet(std::chrono::milliseconds horizon, std::function<void()> done) {
  quiet_horizon_ = horizon;
  on_quiet_ = std::move(done);
  check_quiet();
}

void session::check_quiet() {
  if (!on_quiet_) return;
  if (writing_ || pacing_ || waiting() > 0) return;
  if (interpreter_ && !stopped_) {
    auto deadline = interpreter_->next_deadline();
    if (deadline && *deadline - clock::now() <= quiet_horizon_) return;
  }
  // Posted so the caller (often deep in a write completion) is never re-entered.
  net::post(ex_, std::exchange(on_quiet_, nullptr));
}

}  // namespace nt35e::io
