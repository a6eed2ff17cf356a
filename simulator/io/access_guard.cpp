#include "io/access_guard.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "at/text.hpp"
#include "io/tcp_transport.hpp"

namespace nt35e::io {

bool is_loopback(const boost::asio::ip::address& a) {
  if (a.is_v4()) return a.to_v4().is_loopback();  // 127.0.0.0/8
  const auto v6 = a.to_v6();
  if (v6.is_loopback()) return true;  // ::1
  // An IPv4 loopback written as IPv6 (::ffff:127.0.0.1) is still this host only.
  return v6.is_v4_mapped() && boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).is_loopback();
}

bool constant_time_equal(std::string_view secret, std::string_view given) {
  // Every byte of `given` is looked at whatever the outcome; the secret is read
  // cyclically so that its length does not change the work either.
  unsigned char diff = secret.size() == given.size() ? 0 : 1;
  if (secret.empty()) return false;  // nothing to compare with: never a match
  for (std::size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(secret[i % secret.size()] ^ given[i]);
  // Read through a volatile so the compiler cannot stop at the first difference.
  volatile unsigned char result = diff;
  return result == 0;
}

std::string_view bearer_token(std::string_view value) {
  constexpr std::string_view scheme = "bearer ";
  if (!at::istarts_with(value, scheme)) return {};
  value.remove_prefix(scheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

std::optional<std::string> read_token_file(const std::string& path, std::string& error) {
  const std::string where = "the token file " + path;
  // O_NOFOLLOW is not used: a symlink to a private file is fine; fstat checks the target.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    error = "cannot read " + where + ": " + std::strerror(errno);
    return std::nullopt;
  }
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = where + " is not a regular file";
    return std::nullopt;
  }
  if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    error = where + " can be read or changed by every user of this machine (mode " + mode + "); run chmod 600 " + path;
    return std::nullopt;
  }
  std::string text;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = "cannot read " + where + ": " + std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_token_size + 2) break;  // too long already; the check below says so
  }
  if (text.ends_with('\n')) text.pop_back();
  if (text.ends_with('\r')) text.pop_back();
  if (text.empty()) {
    error =
        where + " is empty; put one line in it, the token (at least " + std::to_string(min_token_size) + " characters)";
    return std::nullopt;
  }
  for (char c : text)
    if (c <= ' ' || c > '~') {
      // The sentence does not show the character: it is part of a secret.
      error = where + " must hold one line of printable ASCII without blanks, the token";
      return std::nullopt;
    }
  if (text.size() < min_token_size || text.size() > max_token_size) {
    error = where + " holds a token of " + std::to_string(text.size()) + " characters; give " +
            std::to_string(min_token_size) + " to " + std::to_string(max_token_size);
    return std::nullopt;
  }
  return text;
}

std::string listener_refusal(std::string_view option, const boost::asio::ip::tcp::endpoint& where, bool has_token,
                             std::string_view token_option) {
  if (has_token || is_loopback(where.address())) return {};
  return std::string(option) + " " + to_string(where) + " can be reached from other hosts, so it needs a token: give " +
         std::string(token_option) + " FILE (clients then send the token in FILE), or listen on 127.0.0.1";
}

}  // namespace nt35e::io
