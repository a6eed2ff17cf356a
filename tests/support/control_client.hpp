#pragma once
// A client of the simulator's control channel for end-to-end tests: JSON lines over a
// loopback TCP socket, every wait bounded.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace nt35e::test {

/// One client of the control channel: JSON lines over a loopback socket.
class control_client {
 public:
  explicit control_client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
    }
  }
  ~control_client() { close(); }
  control_client(const control_client&) = delete;
  control_client& operator=(const control_client&) = delete;

  bool connected() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  /// Writes all bytes (the socket buffer is large enough for our lines; bounded anyway).
  bool send(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!bytes.empty()) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, left(deadline)) <= 0) return false;
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// The next answer line without its "\n"; nothing on timeout or end of stream.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = pending_.find('\n'); nl != std::string::npos) {
        std::string l = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return l;
      }
      if (eof_) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, left(deadline));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return std::nullopt;
      char buf[8192];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      pending_.append(buf, static_cast<std::size_t>(n));
    }
  }

  /// True once the server closed the connection (after reading what is left), within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, left(deadline)) <= 0) return false;
      char buf[8192];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0)
        eof_ = true;
      else
        pending_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Sends one request line and parses the one answer line; a JSON null on failure.
  nlohmann::json ask(const std::string& request_line, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    if (!send(request_line + "\n")) return nullptr;
    auto answer = read_line(timeout);
    if (!answer) return nullptr;
    return nlohmann::json::parse(*answer, nullptr, false);
  }

 private:
  static int left(std::chrono::steady_clock::time_point deadline) {
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    return ms < 0 ? 0 : static_cast<int>(ms);
  }
  int fd_ = -1;
  std::string pending_;
  bool eof_ = false;
};

}  // namespace nt35e::test
