#include "support/mosquitto_broker.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace nt35e::test {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

int status_to_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

/// Asks the kernel for `n` distinct free loopback ports (all bound at once, then released).
std::vector<int> free_ports(int n) {
  std::vector<int> fds;
  std::vector<int> ports;
  for (int i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(fd);
      throw std::runtime_error("cannot find a free port");
    }
    fds.push_back(fd);
    ports.push_back(ntohs(a.sin_port));
  }
  for (int fd : fds) ::close(fd);
  return ports;
}

bool accepts_tcp(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

void must_run(const std::vector<std::string>& argv, const std::string& dir) {
  auto r = run_command(argv, 30s, dir);
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    throw std::runtime_error("command failed (" + std::to_string(r.exit_code) + "): " + cmd + "\n" + r.output);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// child_process

child_process::child_process(const std::vector<std::string>& argv, std::string output_file)
    : output_file_(std::move(output_file)) {
  if (argv.empty()) throw std::runtime_error("child_process: empty argv");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, output_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  // posix_spawn is safe to use with other threads running (Paho's, in the tests).
  const int rc = ::posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
}

child_process::child_process(child_process&& other) noexcept
    : pid_(other.pid_), status_(other.status_), output_file_(std::move(other.output_file_)) {
  other.pid_ = -1;
}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    if (running()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = other.pid_;
    status_ = other.status_;
    output_file_ = std::move(other.output_file_);
    other.pid_ = -1;
  }
  return *this;
}

child_process::~child_process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

bool child_process::running() {
  if (pid_ <= 0 || status_) return false;
  int st = 0;
  const pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = status_to_code(st);
    return false;
  }
  return r == 0;
}

std::optional<int> child_process::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  while (running()) {
    if (clock_type::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
  return status_;
}

void child_process::send_signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

std::string child_process::output() const { return read_file(output_file_); }

run_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                       const std::string& scratch_dir) {
  static std::atomic<int> counter{0};
  const std::string out = scratch_dir + "/run-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".out";
  run_result r;
  {
    child_process p(argv, out);
    auto code = p.wait_for(timeout);
    if (!code) {
      r.timed_out = true;
      p.send_signal(SIGKILL);
      p.wait_for(5s);
      r.exit_code = -1;
    } else {
      r.exit_code = *code;
    }
    r.output = p.output();
  }
  std::error_code ec;
  std::filesystem::remove(out, ec);
  return r;
}

// ---------------------------------------------------------------------------------------
// mosquitto_broker

mosquitto_broker::mosquitto_broker(broker_config cfg) : cfg_(std::move(cfg)) {
  char tmpl[] = "/tmp/nt35e-mosquitto-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  try {
    const auto p = free_ports(4);
    for (int i = 0; i < 4; ++i) ports_[i] = p[static_cast<std::size_t>(i)];
    write_files();
    start();
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

mosquitto_broker::~mosquitto_broker() {
  kill();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void mosquitto_broker::write_files() {
  // Password file (mosquitto_passwd hashes it).
  must_run({"mosquitto_passwd", "-b", "-c", dir_ + "/passwd", cfg_.user, cfg_.password}, dir_);

  if (cfg_.tls) {
    // Small, fast EC keys. A CA, a server certificate for 127.0.0.1/localhost, a client
    // certificate, and an unrelated CA for the "wrong CA" tests.
    const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
    auto req_ca = [&](const std::string& stem, const std::string& cn) {
      std::vector<std::string> a = {"openssl", "req", "-x509"};
      a.insert(a.end(), ec.begin(), ec.end());
      a.insert(a.end(), {"-keyout", dir_ + "/" + stem + ".key", "-out", dir_ + "/" + stem + ".crt", "-days", "3650",
                         "-subj", "/CN=" + cn, "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                         "keyUsage=critical,keyCertSign,cRLSign"});
      must_run(a, dir_);
    };
    auto leaf = [&](const std::string& stem, const std::string& cn, const std::string& ext) {
      std::vector<std::string> a = {"openssl", "req"};
      a.insert(a.end(), ec.begin(), ec.end());
      a.insert(a.end(),
               {"-keyout", dir_ + "/" + stem + ".key", "-out", dir_ + "/" + stem + ".csr", "-subj", "/CN=" + cn});
      must_run(a, dir_);
      write_file(dir_ + "/" + stem + ".ext", ext);
      must_run({"openssl", "x509", "-req", "-in", dir_ + "/" + stem + ".csr", "-CA", dir_ + "/ca.crt", "-CAkey",
                dir_ + "/ca.key", "-CAcreateserial", "-out", dir_ + "/" + stem + ".crt", "-days", "3650", "-extfile",
                dir_ + "/" + stem + ".ext"},
               dir_);
    };
    req_ca("ca", "nt35e test CA");
    req_ca("other-ca", "nt35e unrelated CA");
    leaf("server", "localhost",
         "basicConstraints=CA:FALSE\n"
         "keyUsage=critical,digitalSignature,keyEncipherment\n"
         "extendedKeyUsage=serverAuth\n"
         "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    leaf("client", "nt35e-client",
         "basicConstraints=CA:FALSE\n"
         "keyUsage=critical,digitalSignature,keyEncipherment\n"
         "extendedKeyUsage=clientAuth\n");
  }

  std::ostringstream c;
  c << "per_listener_settings true\n"
    << "persistence false\n"
    << "log_dest file " << log_file() << "\n"
    << "log_type all\n"
    << "connection_messages true\n"
    << "log_timestamp_format %H:%M:%S\n";
  if (::geteuid() == 0) c << "user root\n";  // keep access to our 0700 temp dir
  c << "\nlistener " << port() << " 127.0.0.1\n"
    << "allow_anonymous true\n";
  c << "\nlistener " << auth_port() << " 127.0.0.1\n"
    << "allow_anonymous false\n"
    << "password_file " << dir_ << "/passwd\n";
  if (cfg_.tls) {
    for (int i = 2; i < 4; ++i) {
      c << "\nlistener " << ports_[i] << " 127.0.0.1\n"
        << "allow_anonymous true\n"
        << "cafile " << ca_file() << "\n"
        << "certfile " << dir_ << "/server.crt\n"
        << "keyfile " << dir_ << "/server.key\n"
        << "require_certificate " << (i == 3 ? "true" : "false") << "\n";
    }
  }
  write_file(dir_ + "/mosquitto.conf", c.str());
}

std::string mosquitto_broker::next_output_file(const std::string& stem) const {
  return dir_ + "/" + stem + "-" + std::to_string(++files_) + ".out";
}

void mosquitto_broker::start() {
  if (running()) return;
  proc_ = child_process({"mosquitto", "-c", dir_ + "/mosquitto.conf"}, next_output_file("broker"));
  const int n = cfg_.tls ? 4 : 2;
  const auto deadline = clock_type::now() + 5s;
  for (int i = 0; i < n; ++i) {
    while (!accepts_tcp(ports_[i])) {
      if (!proc_.running()) throw std::runtime_error("mosquitto exited: " + proc_.output() + "\n" + log());
      if (clock_type::now() >= deadline)
        throw std::runtime_error("mosquitto does not accept connections on port " + std::to_string(ports_[i]) + "\n" +
                                 log());
      std::this_thread::sleep_for(10ms);
    }
  }
}

void mosquitto_broker::stop() {
  if (!proc_.running()) return;
  proc_.send_signal(SIGTERM);
  if (!proc_.wait_for(5s)) {
    proc_.send_signal(SIGKILL);
    proc_.wait_for(5s);
  }
}

void mosquitto_broker::kill() {
  if (!proc_.running()) return;
  proc_.send_signal(SIGKILL);
  proc_.wait_for(5s);
}

void mosquitto_broker::restart() {
  stop();
  start();
}

bool mosquitto_broker::running() { return proc_.running(); }

std::string mosquitto_broker::log() const { return read_file(log_file()); }

bool mosquitto_broker::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) const {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    if (log().find(needle) != std::string::npos) return true;
    if (clock_type::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

run_result mosquitto_broker::publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                                     const std::vector<std::string>& extra) const {
  std::vector<std::string> a = {"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port()), "-t",
                                topic,           "-m", payload,     "-q", std::to_string(qos)};
  if (retain) a.push_back("-r");
  a.insert(a.end(), extra.begin(), extra.end());
  return run_command(a, 5s, dir_);
}

run_result mosquitto_broker::subscribe(const std::string& topic, int count, int wait_s, int qos) const {
  return run_command({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(port()), "-t", topic, "-q",
                      std::to_string(qos), "-v", "-C", std::to_string(count), "-W", std::to_string(wait_s)},
                     std::chrono::seconds(wait_s + 5), dir_);
}

child_process mosquitto_broker::subscribe_async(const std::string& topic, int count, int wait_s,
                                                const std::string& client_id, int qos) const {
  return child_process({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(port()), "-i", client_id, "-t", topic,
                        "-q", std::to_string(qos), "-v", "-C", std::to_string(count), "-W", std::to_string(wait_s)},
                       next_output_file("sub"));
}

}  // namespace nt35e::test
