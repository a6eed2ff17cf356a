#include "fleet/dte_fleet.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace nt35e::bench::fleet {

dte_fleet::dte_fleet(int base, std::size_t n) : m_(n) {
  ep_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep_ < 0) throw sys_error("epoll_create1");
  for (std::size_t i = 0; i < n; ++i) {
    check_interrupt();
    m_[i].fd = connect_tcp(base + static_cast<int>(i));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (::epoll_ctl(ep_, EPOLL_CTL_ADD, m_[i].fd, &ev) != 0) throw sys_error("epoll_ctl");
  }
}

dte_fleet::~dte_fleet() {
  for (auto& m : m_)
    if (m.fd >= 0) ::close(m.fd);
  if (ep_ >= 0) ::close(ep_);
}

void dte_fleet::send(std::size_t i, std::string_view bytes) {
  auto& m = m_[i];
  if (m.dead) return;
  // Write at once unless older output still waits: bytes must leave in order.
  if (m.out.empty()) {
    ssize_t w = ::send(m.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        m.dead = true;
        return;
      }
      w = 0;
    }
    bytes.remove_prefix(static_cast<std::size_t>(w));
    if (bytes.empty()) return;
    pending_.push_back(i);
  }
  m.out.append(bytes);
}

void dte_fleet::poll_once(milliseconds timeout, const line_handler& f) {
  flush();
  // Output still waiting for room: come back soon rather than sleep on input.
  if (!pending_.empty()) timeout = std::min(timeout, milliseconds(1));
  epoll_event ev[256];
  const int k = ::epoll_wait(ep_, ev, 256, static_cast<int>(std::max<milliseconds::rep>(0, timeout.count())));
  if (k < 0) {
    if (errno == EINTR) return check_interrupt();
    throw sys_error("epoll_wait");
  }
  for (int e = 0; e < k; ++e) read_lines(static_cast<std::size_t>(ev[e].data.u64), f);
}

void dte_fleet::run_until(clock::time_point until, const line_handler& f) {
  static const line_handler ignore = [](std::size_t, std::string_view) {};
  for (auto now = clock::now(); now < until; now = clock::now()) {
    check_interrupt();
    auto left = std::chrono::duration_cast<milliseconds>(until - now) + milliseconds(1);
    poll_once(std::min(left, milliseconds(20)), f ? f : ignore);
  }
}

int dte_fleet::detach(std::size_t i) {
  ::epoll_ctl(ep_, EPOLL_CTL_DEL, m_[i].fd, nullptr);
  m_[i].in.clear();
  int fd = ::dup(m_[i].fd);
  if (fd < 0) throw sys_error("dup");
  return fd;
}

void dte_fleet::flush() {
  std::size_t keep = 0;
  for (std::size_t i : pending_) {
    auto& m = m_[i];
    ssize_t w = m.dead ? -1 : ::send(m.fd, m.out.data(), m.out.size(), MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) w = 0;
    if (w < 0) {
      m.dead = true;
      m.out.clear();
      continue;
    }
    m.out.erase(0, static_cast<std::size_t>(w));
    if (!m.out.empty()) pending_[keep++] = i;
  }
  pending_.resize(keep);
}

void dte_fleet::read_lines(std::size_t i, const line_handler& f) {
  auto& m = m_[i];
  char buf[16384];
  ssize_t got = ::read(m.fd, buf, sizeof buf);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (got <= 0) {
    m.dead = true;
    ::epoll_ctl(ep_, EPOLL_CTL_DEL, m.fd, nullptr);
    return;
  }
  m.in.append(buf, static_cast<std::size_t>(got));
  std::size_t head = 0;
  for (auto nl = m.in.find('\n'); nl != std::string::npos; nl = m.in.find('\n', head)) {
    std::size_t end = nl;
    if (end > head && m.in[end - 1] == '\r') --end;
    std::string_view l(m.in.data() + head, end - head);
    head = nl + 1;
    while (!l.empty() && l.front() == '\r') l.remove_prefix(1);
    if (!l.empty()) f(i, l);
  }
  m.in.erase(0, head);
}

step_result exchange(dte_fleet& f, const std::vector<std::size_t>& who,
                     const std::function<std::string(std::size_t)>& cmd, std::string_view urc,
                     clock::time_point deadline, const dte_fleet::line_handler& other) {
  enum : std::uint8_t {
    asked = 1,
    got_ok = 2,
    got_urc = 4,
    finished = 8
  };
  const std::string_view prefix = urc.substr(0, urc.find(',') + 1);
  step_result r;
  r.done.assign(f.size(), 0);
  std::vector<std::uint8_t> st(f.size(), 0);
  std::vector<double> when(f.size(), 0);
  std::size_t left = 0;
  const auto t0 = clock::now();
  for (std::size_t i : who) {
    f.send(i, cmd(i) + "\r");
    st[i] = asked;
    ++left;
  }
  auto handle = [&](std::size_t i, std::string_view l) {
    auto& s = st[i];
    if (!(s & asked) || (s & finished)) {
      if (other) other(i, l);
      return;
    }
    const bool error = l.find("ERROR") != std::string_view::npos;
    const bool urc_like = !urc.empty() && l.substr(0, prefix.size()) == prefix;
    if (l == "OK") {
      s |= got_ok;
    } else if (error || (urc_like && l != urc)) {
      s |= finished;
      --left;
      if (r.failed++ == 0) r.first_failure = "modem " + std::to_string(i) + ": " + std::string(l);
      return;
    } else if (urc_like) {
      s |= got_urc;
    } else {
      if (other) other(i, l);
      return;
    }
    if ((s & got_ok) && (urc.empty() || (s & got_urc))) {
      s |= finished;
      --left;
      r.done[i] = 1;
      when[i] = millis(clock::now() - t0);
    }
  };
  while (left > 0 && clock::now() < deadline) {
    check_interrupt();
    auto wait = std::chrono::duration_cast<milliseconds>(deadline - clock::now()) + milliseconds(1);
    f.poll_once(std::min(wait, milliseconds(50)), handle);
  }
  for (std::size_t i : who)
    if (r.done[i]) {
      r.completed.push_back(i);
      r.ms.push_back(when[i]);
      r.all_ms = std::max(r.all_ms, when[i]);
    }
  std::sort(r.completed.begin(), r.completed.end());
  return r;
}

std::vector<std::size_t> prepare_all(dte_fleet& f, clock::time_point deadline, std::string& why) {
  std::vector<std::size_t> todo(f.size()), echo_off;
  for (std::size_t i = 0; i < todo.size(); ++i) todo[i] = i;
  while (!todo.empty() && clock::now() < deadline) {
    auto r = exchange(
        f, todo, [](std::size_t) { return std::string("ATE0"); }, {}, std::min(deadline, clock::now() + 300ms));
    std::vector<std::size_t> again;
    for (std::size_t i : todo) (r.done[i] ? echo_off : again).push_back(i);
    todo = std::move(again);
  }
  if (!todo.empty()) why = std::to_string(todo.size()) + " modems never answered ATE0 with OK";
  f.run_until(clock::now() + 50ms);  // a late second OK from a repeated ATE0
  std::sort(echo_off.begin(), echo_off.end());

  std::vector<std::size_t> ready;
  todo = std::move(echo_off);
  while (!todo.empty() && clock::now() < deadline) {
    std::vector<char> attached(f.size(), 0);
    exchange(
        f, todo, [](std::size_t) { return std::string("AT+CGATT?"); }, {}, deadline,
        [&](std::size_t i, std::string_view l) { attached[i] |= (l == "+CGATT:1" || l == "+CGATT: 1"); });
    std::vector<std::size_t> again;
    for (std::size_t i : todo) (attached[i] ? ready : again).push_back(i);
    todo = std::move(again);
    if (!todo.empty()) f.run_until(std::min(deadline, clock::now() + 50ms));
  }
  if (!todo.empty() && why.empty()) why = std::to_string(todo.size()) + " modems not registered (+CGATT:1) in time";
  std::sort(ready.begin(), ready.end());
  return ready;
}

}  // namespace nt35e::bench::fleet
