#include "fleet/paho_fleet.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <mqtt/async_client.h>

#include "common/bench_common.hpp"
#include "common/resources.hpp"

extern char** environ;

namespace nt35e::bench::fleet {

namespace {

/// This program again, as the Paho child, with pipes to its stdin and stdout.
class paho_child {
 public:
  paho_child(std::size_t n, int port) {
    char exe[PATH_MAX];
    const ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) throw sys_error("readlink /proc/self/exe");
    exe[len] = '\0';
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) throw sys_error("pipe2");
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ::close(in[0]);
      ::close(in[1]);
      throw sys_error("pipe2");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::vector<std::string> argv = {exe, paho_fleet_option, std::to_string(n), std::to_string(port)};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, exe, &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = out[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error(std::string("cannot start the Paho fleet child: ") + std::strerror(rc));
    }
  }
  ~paho_child() {
    if (to_ >= 0) ::close(to_);  // end of input: the child disconnects and exits
    if (pid_ > 0) {
      const auto deadline = clock::now() + 15s;
      while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
        if (clock::now() >= deadline) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, nullptr, 0);
          break;
        }
        std::this_thread::sleep_for(5ms);
      }
    }
    if (from_ >= 0) ::close(from_);
  }
  paho_child(const paho_child&) = delete;
  paho_child& operator=(const paho_child&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  /// Writes one line to its stdin.
  void say(const std::string& line) {
    const std::string text = line + "\n";
    if (::write(to_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw sys_error("writing to the Paho fleet child");
  }
  /// The next line of its stdout; nothing on timeout or end of output.
  std::optional<std::string> read_line(clock::time_point deadline) {
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      check_interrupt();
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{from_, POLLIN, 0};
      const int k = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 100)));
      if (k <= 0) continue;
      char tmp[512];
      const ssize_t got = ::read(from_, tmp, sizeof tmp);
      if (got <= 0) return std::nullopt;
      buf_.append(tmp, static_cast<std::size_t>(got));
    }
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  std::string buf_;
};

}  // namespace

int paho_fleet_child(std::size_t n, int port) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::signal(SIGPIPE, SIG_IGN);
  struct shared {
    std::mutex m;
    std::condition_variable cv;
    std::size_t ok = 0, failed = 0;
    std::vector<double> ms;
    clock::time_point t0;
    std::string first_failure;
  } sh;
  struct listener final : mqtt::iaction_listener {
    shared* s = nullptr;
    void on_success(const mqtt::token&) override {
      const auto now = clock::now();
      std::lock_guard lock(s->m);
      s->ms.push_back(millis(now - s->t0));
      ++s->ok;
      s->cv.notify_all();
    }
    void on_failure(const mqtt::token& t) override {
      std::lock_guard lock(s->m);
      if (s->failed++ == 0) s->first_failure = "return code " + std::to_string(t.get_return_code());
      s->cv.notify_all();
    }
  };
  // Declared before the clients, so that they outlive every callback of the clients.
  std::vector<listener> listeners(n);
  const std::string uri = "tcp://127.0.0.1:" + std::to_string(port);
  std::vector<std::unique_ptr<mqtt::async_client>> clients;
  clients.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    clients.push_back(
        std::make_unique<mqtt::async_client>(uri, "bench-fleet-paho-" + std::to_string(n) + "-" + std::to_string(i),
                                             mqtt::create_options(MQTTVERSION_3_1_1)));
  std::cout << "ready" << std::endl;
  std::string line;
  if (!std::getline(std::cin, line)) return 0;

  mqtt::connect_options co;
  co.set_mqtt_version(MQTTVERSION_3_1_1);
  co.set_clean_session(true);
  co.set_keep_alive_interval(60);
  co.set_automatic_reconnect(false);
  co.set_connect_timeout(60);
  co.set_max_inflight(65535);
  sh.t0 = clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    listeners[i].s = &sh;
    try {
      clients[i]->connect(co, nullptr, listeners[i]);
    } catch (const mqtt::exception& e) {
      std::lock_guard lock(sh.m);
      if (sh.failed++ == 0) sh.first_failure = e.what();
    }
  }
  {
    std::unique_lock lock(sh.m);
    sh.cv.wait_until(lock, clock::now() + 60s, [&] { return sh.ok + sh.failed >= n; });
    const auto s = summarize(sh.ms);
    std::cout << "connected " << sh.ok << " " << sh.failed << " " << s.max << " " << s.p50 << std::endl;
    if (sh.failed) std::cerr << "paho fleet: first failure: " << sh.first_failure << "\n";
  }
  std::getline(std::cin, line);
  std::vector<mqtt::token_ptr> tokens;
  for (auto& c : clients) {
    try {
      if (c->is_connected()) tokens.push_back(c->disconnect());
    } catch (const mqtt::exception&) {}
  }
  const auto deadline = clock::now() + 10s;
  for (auto& t : tokens) {
    try {
      t->wait_until(std::max(deadline, clock::now()));
    } catch (const mqtt::exception&) {}
  }
  std::cout << "done" << std::endl;
  return 0;
}

paho_figures measure_paho(std::size_t n, int port) {
  paho_figures fig;
  fig.n = n;
  std::cout << "Paho fleet of " << n << ": " << std::flush;
  try {
    const auto t0 = clock::now();
    paho_child child(n, port);
    auto ready = child.read_line(clock::now() + 30s);
    if (!ready || *ready != "ready") throw std::runtime_error("the Paho fleet child did not get ready");
    fig.startup_ms = millis(clock::now() - t0);
    fig.rss_idle = rss_kib(child.pid());
    const auto overflows0 = listen_overflows();
    child.say("connect");
    auto done = child.read_line(clock::now() + 90s);
    if (!done || done->rfind("connected ", 0) != 0)
      throw std::runtime_error("the Paho fleet child did not report its connections");
    fig.rss_connected = rss_kib(child.pid());
    fig.overflows = listen_overflows() - overflows0;
    std::istringstream in(done->substr(10));
    in >> fig.connected >> fig.failed >> fig.connect_all_ms >> fig.connect_p50_ms;
    child.say("quit");
    child.read_line(clock::now() + 15s);  // "done": disconnected
    std::cout << "started in " << fixed(fig.startup_ms, 0) << " ms, " << fig.connected << " connected ("
              << fixed(fig.connect_all_ms, 0) << " ms, " << fig.failed << " failed, listen queue overflows "
              << fig.overflows << "); RSS " << mib(fig.rss_idle) << " idle, " << mib(fig.rss_connected)
              << " connected\n"
              << std::flush;
  } catch (const std::exception& e) {
    if (interrupted()) throw;
    fig.not_measured = e.what();
    std::cout << "failed: " << e.what() << "\n";
  }
  return fig;
}

}  // namespace nt35e::bench::fleet
