#pragma once
// The DTE's end of the line in a unit test (io::dte_stream): records every write the
// session starts, completes it at once or holds it until the test says so, and counts
// the writes outstanding at once. No socket, no thread, no sleep.
//
// Thread safety: none; the test and the session share one io_context thread.

#include <algorithm>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "io/transport.hpp"

namespace nt35e::test {

class fake_dte_stream final : public io::dte_stream {
 public:
  /// Completions run on `ex`, as a real stream's do. With `hold`, every write waits for
  /// complete_write(); otherwise it completes on the next turn of the executor.
  explicit fake_dte_stream(boost::asio::any_io_executor ex, bool hold = false) : ex_(std::move(ex)), hold_(hold) {}

  void async_write(boost::asio::const_buffer bytes, write_handler done) override {
    ++outstanding_;
    max_outstanding_ = std::max(max_outstanding_, outstanding_);
    writes_.emplace_back(static_cast<const char*>(bytes.data()), bytes.size());
    pending_.push_back({bytes, std::move(done)});
    if (!hold_) complete_write();
  }

  /// Completes the oldest write still held (its handler is posted); false if none is.
  bool complete_write(boost::system::error_code ec = {}) {
    if (pending_.empty()) return false;
    auto w = std::move(pending_.front());
    pending_.pop_front();
    // The caller promised to keep the bytes alive and unchanged until now.
    const std::string_view now(static_cast<const char*>(w.bytes.data()), w.bytes.size());
    if (now != writes_[completed_]) changed_in_flight_ = true;
    ++completed_;
    boost::asio::post(ex_, [this, done = std::move(w.done), ec] {
      --outstanding_;
      done(ec);
    });
    return true;
  }

  /// From now on, complete writes at once (false) or hold them (true).
  void set_hold(bool hold) { hold_ = hold; }

  /// Every write started so far, one string each, in order.
  [[nodiscard]] const std::vector<std::string>& writes() const { return writes_; }
  /// Everything written so far, as the DTE would read it.
  [[nodiscard]] std::string written() const {
    std::string all;
    for (const auto& w : writes_) all += w;
    return all;
  }
  /// Writes started and not completed yet (their handlers not run).
  [[nodiscard]] std::size_t outstanding() const { return outstanding_; }
  /// The most writes ever outstanding at once (one writer: never more than 1).
  [[nodiscard]] std::size_t max_outstanding() const { return max_outstanding_; }
  /// Writes held, waiting for complete_write().
  [[nodiscard]] std::size_t held() const { return pending_.size(); }
  /// True if the bytes of a write changed before it completed.
  [[nodiscard]] bool changed_in_flight() const { return changed_in_flight_; }

 private:
  struct pending_write {
    boost::asio::const_buffer bytes;
    write_handler done;
  };

  boost::asio::any_io_executor ex_;
  bool hold_;
  std::vector<std::string> writes_;
  std::deque<pending_write> pending_;
  std::size_t completed_ = 0;  ///< writes handed to complete_write(), an index into writes_
  std::size_t outstanding_ = 0;
  std::size_t max_outstanding_ = 0;
  bool changed_in_flight_ = false;
};

}  // namespace nt35e::test
