#include "driver.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

namespace example {

std::unique_ptr<line> line::open_tcp(const std::string& host, unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("connect " + host + ":" + std::to_string(port) + ": " + std::strerror(errno));
  }
  return std::unique_ptr<line>(new line(fd));
}

std::unique_ptr<line> line::open_pty(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("open " + path + ": " + std::strerror(errno));
  termios t{};
  ::tcgetattr(fd, &t);
  ::cfmakeraw(&t);
  ::cfsetspeed(&t, B115200);
  ::tcsetattr(fd, TCSANOW, &t);
  return std::unique_ptr<line>(new line(fd));
}

line::~line() { ::close(fd_); }

void line::write(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("write: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
}

std::optional<std::string> line::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // A line ends at CR or LF; empty lines (the framing's) are skipped.
    while (true) {
      auto end = buffer_.find_first_of("\r\n");
      if (end == std::string::npos) break;
      std::string l = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      if (!l.empty()) return l;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[512];
    auto n = ::read(fd_, chunk, sizeof chunk);
    if (n <= 0) return std::nullopt;  // the line closed
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

namespace {
bool final_result(const std::string& l) { return l == "OK" || l == "ERROR" || l.rfind("+CME ERROR", 0) == 0; }
}  // namespace

std::string driver::command(const std::string& at, std::chrono::milliseconds timeout) {
  line_->write(at + "\r");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (auto l = line_->read_line(
             std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()))) {
    if (*l == at) continue;  // the echo
    if (final_result(*l)) return *l;
    pending_.push_back(*l);
  }
  return "";
}

void driver::note_urc(const std::string& l) {
  if (l.rfind("+ECMTRECV:0,", 0) == 0) {
    // +ECMTRECV:0,<msgID>,"<topic>",<payload>
    auto quote = l.find("\",");
    messages_.push_back(quote == std::string::npos ? l : l.substr(quote + 2));
  } else if (l.rfind("+ECMTSTAT:0,", 0) == 0) {
    link_lost_ = true;
    reconnected_ = false;
    ++link_losses_;
  } else if (l == "+ECMTCONN:0,0,0" && link_lost_) {
    reconnected_ = true;
  }
}

std::string driver::wait_urc(const std::string& prefix, std::chrono::milliseconds timeout, bool stop_on_loss) {
  while (!pending_.empty()) {
    auto l = pending_.front();
    pending_.pop_front();
    if (l.rfind(prefix, 0) == 0) return l;
    note_urc(l);
    if (stop_on_loss && link_lost_) return "";
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (auto l = line_->read_line(
             std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()))) {
    if (l->rfind(prefix, 0) == 0) return *l;
    note_urc(*l);
    if (stop_on_loss && link_lost_) return "";
  }
  return "";
}

bool driver::fail(std::string why) {
  error_ = std::move(why);
  return false;
}

bool driver::start() {
  // The module ignores input while it boots: ask until it answers.
  bool up = false;
  for (int i = 0; i < 50 && !up; ++i) up = command("AT", 200ms) == "OK";
  if (!up) return fail("the module does not answer AT");
  if (command("ATE0") != "OK") return fail("ATE0 refused");
  if (!connect()) return false;
  return subscribe();
}

bool driver::connect() {
  auto delay = cfg_.backoff;
  bool opened = false;  // a refused CONNECT leaves the id OPENED: the next attempt only reconnects
  for (int attempt = 1; attempt <= cfg_.max_attempts; ++attempt) {
    if (!opened) {
      if (command("AT+ECMTOPEN=0,\"" + cfg_.broker_host + "\"," + std::to_string(cfg_.broker_port)) != "OK")
        return fail("AT+ECMTOPEN refused");
      auto urc = wait_urc("+ECMTOPEN:0,", cfg_.urc_timeout);
      if (urc != "+ECMTOPEN:0,0") return fail("open failed: " + (urc.empty() ? "no +ECMTOPEN" : urc));
      opened = true;
    }
    std::string conn = "AT+ECMTCONN=0,\"" + cfg_.client_id + "\"";
    if (!cfg_.user.empty()) conn += ",\"" + cfg_.user + "\",\"" + cfg_.password + "\"";
    if (command(conn) != "OK") return fail("AT+ECMTCONN refused");
    auto urc = wait_urc("+ECMTCONN:0,", cfg_.urc_timeout);
    if (urc == "+ECMTCONN:0,0,0") {
      link_lost_ = false;
      return true;
    }
    if (urc == "+ECMTCONN:0,0,5" || urc == "+ECMTCONN:0,0,4")
      ++auth_refusals_;
    else if (urc.empty())
      return fail("no +ECMTCONN within the timeout");
    std::this_thread::sleep_for(delay);  // backoff, doubled up to the limit
    delay = std::min(delay * 2, cfg_.max_backoff);
  }
  return fail("the broker refused " + std::to_string(cfg_.max_attempts) + " connections");
}

bool driver::subscribe() {
  const int id = msg_id_++;
  if (command("AT+ECMTSUB=0," + std::to_string(id) + ",\"" + cfg_.topic + "\",1") != "OK")
    return fail("AT+ECMTSUB refused");
  auto urc = wait_urc("+ECMTSUB:0," + std::to_string(id) + ",", cfg_.urc_timeout);
  if (urc != "+ECMTSUB:0," + std::to_string(id) + ",0,1") return fail("subscribe failed: " + urc);
  return true;
}

bool driver::recover() {
  // The module reconnects on its own 1 s after +ECMTSTAT (spec §7.4); subscriptions are lost.
  if (!reconnected_ && wait_urc("+ECMTCONN:0,", cfg_.urc_timeout) != "+ECMTCONN:0,0,0") {
    command("AT+ECMTCLOSE=0");
    wait_urc("+ECMTCLOSE:0,", cfg_.urc_timeout);
    if (!connect()) return false;
  }
  link_lost_ = reconnected_ = false;
  return subscribe();
}

bool driver::publish(const std::string& payload) {
  for (int attempt = 0; attempt < cfg_.max_attempts; ++attempt) {
    // URCs that arrived meanwhile (a link loss) are read before publishing.
    while (auto l = line_->read_line(0ms)) note_urc(*l);
    while (!pending_.empty()) {
      note_urc(pending_.front());
      pending_.pop_front();
    }
    if (link_lost_ && !recover()) return false;
    const int id = msg_id_++;
    auto r = command("AT+ECMTPUB=0," + std::to_string(id) + ",1,0,\"" + cfg_.topic + "\",\"" + payload + "\"");
    if (r != "OK") {
      // Refused while the link is down (CME 3): wait for +ECMTSTAT, recover, try again.
      if (auto stat = wait_urc("+ECMTSTAT:0,", 3s); !stat.empty()) note_urc(stat);
      if (!link_lost_) return fail("AT+ECMTPUB: " + r);
      continue;
    }
    // A loss while waiting: recover and publish again (QoS 1 allows the duplicate).
    auto urc = wait_urc("+ECMTPUB:0," + std::to_string(id) + ",", cfg_.urc_timeout, true);
    if (urc == "+ECMTPUB:0," + std::to_string(id) + ",0") return true;
    if (!link_lost_) return fail("publish failed: " + (urc.empty() ? "no +ECMTPUB" : urc));
  }
  return fail("publish did not get through");
}

std::optional<std::string> driver::next_message(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (messages_.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto urc = wait_urc("+ECMTRECV:0,", left);
    if (urc.empty()) return std::nullopt;
    note_urc(urc);
  }
  auto m = messages_.front();
  messages_.pop_front();
  return m;
}

}  // namespace example
