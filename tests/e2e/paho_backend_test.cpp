// paho_backend against a real mosquitto (tests/support/mosquitto_broker), driven directly
// on an io_context. Every wait is bounded: the io_context runs in short slices until a
// deadline. Plus the --map-host table, and a few raw-socket brokers for the CONNACK /
// SUBACK codes mosquitto cannot be made to send.

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "mqtt/host_map.hpp"
#include "paho/paho_backend.hpp"
#include "support/mosquitto_broker.hpp"

namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace req = nt35e::mqtt::request;
namespace ev = nt35e::mqtt::event;
using nt35e::mqtt::any_event;
using nt35e::mqtt::connect_options;
using nt35e::mqtt::host_map;
using nt35e::mqtt::tls_options;
using nt35e::paho::paho_backend;
using nt35e::test::mosquitto_broker;

// One broker for the whole file (tests that stop or kill it restart it).
mosquitto_broker& broker() {
  static mosquitto_broker b;
  if (!b.running()) b.start();
  return b;
}

/// The backend on its own io_context, with the events it emitted.
class harness {
 public:
  explicit harness(host_map map = {}, std::string cert_dir = {})
      : work_(io_.get_executor()),
        backend_(std::make_unique<paho_backend>(io_.get_executor(), std::move(map), std::move(cert_dir), false)) {
    backend_->set_sink([this](any_event e) { events_.push_back(std::move(e)); });
    if (std::getenv("NT35E_PAHO_LOG"))
      backend_->set_log_sink([t0 = std::chrono::steady_clock::now()](std::string_view line) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
        std::fprintf(stderr, "%6lld %.*s\n", static_cast<long long>(ms.count()), static_cast<int>(line.size()),
                     line.data());
      });
  }
  ~harness() {
    backend_.reset();
    work_.reset();
    io_.run_for(100ms);  // let cancelled handlers finish
  }

  void submit(nt35e::mqtt::any_request r) { backend_->submit(std::move(r)); }
  paho_backend& backend() { return *backend_; }
  void destroy_backend() { backend_.reset(); }

  /// Runs the io_context until `done()` or the timeout.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 8s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_one_for(20ms);
    }
    return true;
  }
  /// Runs the io_context for a while (to see that nothing more comes).
  void run_for(std::chrono::milliseconds d) {
    const auto deadline = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < deadline) io_.run_one_for(20ms);
  }

  /// Waits for the first event of type E that matches `pred`, removes and returns it.
  template <class E>
  std::optional<E> wait(const std::function<bool(const E&)>& pred = nullptr, std::chrono::milliseconds timeout = 8s) {
    std::optional<E> found;
    run_until(
        [&] {
          for (auto it = events_.begin(); it != events_.end(); ++it) {
            if (const E* e = std::get_if<E>(&*it); e && (!pred || pred(*e))) {
              found = *e;
              events_.erase(it);
              return true;
            }
          }
          return false;
        },
        timeout);
    return found;
  }

  template <class E>
  std::vector<E> all() const {
    std::vector<E> out;
    for (const auto& e : events_)
      if (const E* x = std::get_if<E>(&e)) out.push_back(*x);
    return out;
  }
  std::deque<any_event>& events() { return events_; }

  // Common steps ------------------------------------------------------------------------
  bool open(int id, int port, tls_options tls = {}, const std::string& host = "127.0.0.1") {
    submit(req::open{id, host, port, std::move(tls)});
    auto o = wait<ev::opened>([id](const ev::opened& e) { return e.id == id; });
    return o && o->ok;
  }
  std::optional<int> connect(int id, int port, connect_options opt, tls_options tls = {},
                             const std::string& host = "127.0.0.1") {
    submit(req::connect{id, host, port, std::move(tls), std::move(opt)});
    std::optional<int> rc;
    run_until([&] {
      for (auto it = events_.begin(); it != events_.end(); ++it) {
        if (auto* c = std::get_if<ev::connack>(&*it); c && c->id == id) {
          rc = c->return_code;
          events_.erase(it);
          return true;
        }
        if (auto* f = std::get_if<ev::connect_failed>(&*it); f && f->id == id) {
          last_failure = f->detail;
          events_.erase(it);
          return true;
        }
      }
      return false;
    });
    return rc;
  }
  std::string last_failure;

 private:
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<paho_backend> backend_;
  std::deque<any_event> events_;
};

connect_options client(const std::string& id) {
  connect_options o;
  o.client_id = id;
  o.keepalive_s = 60;
  return o;
}

std::string unique(const std::string& stem) {
  static int n = 0;
  return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

/// A loopback port nobody listens on (bound once, then released).
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// A raw loopback TCP server on its own thread, for brokers mosquitto cannot imitate.
/// `script` gets the accepted socket (with 5 s receive timeout) and does what it wants.
class raw_server {
 public:
  explicit raw_server(std::function<void(int fd)> script) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("raw_server: bind/listen failed");
    port_ = ntohs(a.sin_port);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);  // bounds accept()
    thread_ = std::thread([this, script = std::move(script)] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      timeval tv2{5, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv2, sizeof tv2);
      script(c);
      ::close(c);
    });
  }
  ~raw_server() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  [[nodiscard]] int port() const { return port_; }

  /// Reads one MQTT packet: {first byte, body}; nullopt on EOF/timeout.
  static std::optional<std::pair<unsigned char, std::string>> read_packet(int fd) {
    unsigned char h = 0;
    if (::recv(fd, &h, 1, MSG_WAITALL) != 1) return std::nullopt;
    std::size_t len = 0;
    int shift = 0;
    for (;;) {
      unsigned char b = 0;
      if (::recv(fd, &b, 1, MSG_WAITALL) != 1) return std::nullopt;
      len |= static_cast<std::size_t>(b & 0x7F) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    std::string body(len, '\0');
    if (len && ::recv(fd, body.data(), len, MSG_WAITALL) != static_cast<ssize_t>(len)) return std::nullopt;
    return std::make_pair(h, body);
  }
  static void send_bytes(int fd, std::initializer_list<unsigned char> bytes) {
    std::vector<unsigned char> v(bytes);
    (void)::send(fd, v.data(), v.size(), MSG_NOSIGNAL);
  }
  /// Keeps the connection until the peer closes it (or 5 s).
  static void hold(int fd) {
    char buf[256];
    while (::recv(fd, buf, sizeof buf, 0) > 0) {}
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace

// =========================================================================================
// --map-host

TEST(HostMap, ParsesAndResolves) {
  std::string err;
  auto m = host_map::parse({"Broker.Example.com=127.0.0.1:1884", "broker.example.com:8883=localhost:18883",
                            "[::1]:1883=[::1]:2883", "other=[fe80::1]:1"},
                           &err);
  ASSERT_TRUE(m) << err;
  EXPECT_EQ(m->size(), 4u);
  using hp = nt35e::mqtt::host_port;
  EXPECT_EQ(m->resolve("broker.example.COM", 1883), (hp{"127.0.0.1", 1884}));
  EXPECT_EQ(m->resolve("broker.example.com", 8883), (hp{"localhost", 18883}));  // the port-specific entry wins
  EXPECT_EQ(m->resolve("BROKER.example.com", 8883), (hp{"localhost", 18883}));
  EXPECT_EQ(m->resolve("[::1]", 1883), (hp{"::1", 2883}));
  EXPECT_EQ(m->resolve("::1", 1883), (hp{"::1", 2883}));
  EXPECT_EQ(m->resolve("::1", 1884), (hp{"::1", 1884}));  // port given, no match: unchanged
  EXPECT_EQ(m->resolve("other", 42), (hp{"fe80::1", 1}));
  EXPECT_EQ(m->resolve("unmapped.example", 1883), (hp{"unmapped.example", 1883}));
  EXPECT_EQ(host_map::format(m->entries()[2]), "[::1]:1883=[::1]:2883");
}

TEST(HostMap, LaterEntryReplacesSameKey) {
  host_map m;
  EXPECT_EQ(m.add("a=1.2.3.4:1"), "");
  EXPECT_EQ(m.add("A=5.6.7.8:2"), "");
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.resolve("a", 9).host, "5.6.7.8");
}

TEST(HostMap, RejectsBadSpecs) {
  for (const char* bad : {"", "host", "host=", "=1.2.3.4:1", "host=1.2.3.4", "host=1.2.3.4:0", "host=1.2.3.4:65536",
                          "host=1.2.3.4:x", "host:0=1.2.3.4:1", "host=::1:1883", "host=[::1:1883", "host=[zz]:1",
                          "a=b=c:1", "ho st=1.2.3.4:1", "host=1.2.3.4:1:2", "host=[::1]x"}) {
    std::string err;
    EXPECT_FALSE(host_map::parse_entry(bad, &err)) << bad;
    EXPECT_FALSE(err.empty()) << bad;
    EXPECT_NE(err.find("--map-host"), std::string::npos) << err;
    EXPECT_EQ(err.back(), '.') << err;
  }
  host_map m;
  EXPECT_NE(m.add("nonsense"), "");
  EXPECT_TRUE(m.empty());
}

// =========================================================================================
// ECMTOPEN

TEST(PahoBackend, OpenOk) {
  harness h;
  h.submit(req::open{0, "127.0.0.1", broker().port(), {}});
  auto o = h.wait<ev::opened>();
  ASSERT_TRUE(o);
  EXPECT_EQ(o->id, 0);
  EXPECT_TRUE(o->ok) << o->detail;
}

TEST(PahoBackend, OpenUnknownHostFails) {
  harness h;
  h.submit(req::open{1, "no-such-host.invalid", 1883, {}});
  auto o = h.wait<ev::opened>();
  ASSERT_TRUE(o);
  EXPECT_EQ(o->id, 1);
  EXPECT_FALSE(o->ok);
  EXPECT_EQ(o->detail.rfind("DNS", 0), 0u) << o->detail;
}

TEST(PahoBackend, OpenClosedPortFails) {
  harness h;
  h.submit(req::open{2, "127.0.0.1", closed_port(), {}});
  auto o = h.wait<ev::opened>();
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->ok);
  EXPECT_EQ(o->detail.rfind("TCP", 0), 0u) << o->detail;
}

TEST(PahoBackend, OpenAppliesHostMap) {
  host_map m;
  ASSERT_EQ(m.add("broker.example.com:1883=127.0.0.1:" + std::to_string(broker().port())), "");
  harness h(m);
  EXPECT_TRUE(h.open(0, 1883, {}, "BROKER.example.com"));
  auto rc = h.connect(0, 1883, client(unique("mapped")), {}, "broker.example.com");
  ASSERT_TRUE(rc) << h.last_failure;
  EXPECT_EQ(*rc, 0);
  // Another port of the same name is not mapped: nothing listens on 127.0.0.1:1 .. or the
  // name does not resolve at all; either way the open fails.
  h.submit(req::open{1, "broker.example.com", 1, {}});
  auto o = h.wait<ev::opened>();
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->ok);
}

// =========================================================================================
// ECMTCONN

TEST(PahoBackend, ConnectAnonymous) {
  harness h;
  ASSERT_TRUE(h.open(0, broker().port()));
  auto rc = h.connect(0, broker().port(), client(unique("anon")));
  ASSERT_TRUE(rc) << h.last_failure;
  EXPECT_EQ(*rc, 0);
}

TEST(PahoBackend, WrongPasswordIsConnack5) {
  // mosquitto (allow_anonymous false + password_file) answers a wrong password with
  // CONNACK 5 "not authorised" (its log: "Sending CONNACK to ... (0, 5)"); Paho hands it
  // over as the connect token's return code 5; the backend copies it 1:1.
  harness h;
  auto o = client(unique("badpw"));
  o.user_name = broker().user();
  o.password = "wrong";
  auto rc = h.connect(0, broker().auth_port(), o);
  ASSERT_TRUE(rc) << h.last_failure;
  EXPECT_EQ(*rc, 5);

  auto anon = client(unique("nouser"));
  rc = h.connect(1, broker().auth_port(), anon);
  ASSERT_TRUE(rc) << h.last_failure;
  EXPECT_EQ(*rc, 5);
}

TEST(PahoBackend, RightPasswordIsConnack0) {
  harness h;
  auto o = client(unique("goodpw"));
  o.user_name = broker().user();
  o.password = broker().password();
  auto rc = h.connect(0, broker().auth_port(), o);
  ASSERT_TRUE(rc) << h.last_failure;
  EXPECT_EQ(*rc, 0);
}

TEST(PahoBackend, EmptyClientId) {
  harness h;
  // MQTT 3.1.1, clean session: the broker assigns an id (Paho accepts an empty id as is).
  auto rc = h.connect(0, broker().port(), client(""));
  ASSERT_TRUE(rc) << h.last_failure;
  EXPECT_EQ(*rc, 0);
  // Clean session 0 with an empty id, or MQTT 3.1 with an empty id: the broker refuses
  // with 2 (identifier rejected); Paho does not refuse it locally.
  auto persistent = client("");
  persistent.clean_session = false;
  rc = h.connect(1, broker().port(), persistent);
  ASSERT_TRUE(rc) << h.last_failure;
  EXPECT_EQ(*rc, 2);
  auto v3 = client("");
  v3.version = 3;
  rc = h.connect(2, broker().port(), v3);
  ASSERT_TRUE(rc) << h.last_failure;
  EXPECT_EQ(*rc, 2);
}

TEST(PahoBackend, Mqtt31Connects) {
  harness h;
  auto o = client(unique("v31"));
  o.version = 3;
  auto rc = h.connect(0, broker().port(), o);
  ASSERT_TRUE(rc) << h.last_failure;
  EXPECT_EQ(*rc, 0);
  EXPECT_TRUE(broker().wait_for_log("as " + o.client_id + " (p1,", 3s)) << "protocol level 3 expected";
}

TEST(PahoBackend, ConnectClosedPortFails) {
  harness h;
  auto rc = h.connect(0, closed_port(), client("x"));
  EXPECT_FALSE(rc);
  EXPECT_EQ(h.last_failure.rfind("TCP", 0), 0u) << h.last_failure;
}

TEST(PahoBackend, NoConnackWithinLimitIsConnectFailed) {
  std::atomic<bool> got_connect{false};
  raw_server silent([&](int fd) {
    if (raw_server::read_packet(fd)) got_connect = true;  // a CONNECT, never answered
    raw_server::hold(fd);
  });
  harness h;
  h.backend().set_timeouts(1500ms);
  const auto t0 = std::chrono::steady_clock::now();
  auto rc = h.connect(0, silent.port(), client("silent"));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(rc);
  EXPECT_TRUE(got_connect);
  EXPECT_NE(h.last_failure.find("no CONNACK"), std::string::npos) << h.last_failure;
  EXPECT_GE(took, 1400ms);
  EXPECT_LT(took, 2500ms);
}

TEST(PahoBackend, ConnackCodesCopiedOneToOne) {
  for (int code : {1, 2, 3, 4, 5, 6, 0x42}) {
    raw_server srv([code](int fd) {
      if (!raw_server::read_packet(fd)) return;
      raw_server::send_bytes(fd, {0x20, 0x02, 0x00, static_cast<unsigned char>(code)});
      raw_server::hold(fd);
    });
    harness h;
    auto rc = h.connect(0, srv.port(), client("codes"));
    ASSERT_TRUE(rc) << "code " << code << ": " << h.last_failure;
    EXPECT_EQ(*rc, code > 5 ? 6 : code);
  }
}

TEST(PahoBackend, SubackFailureCodeIsStillResult0) {
  raw_server srv([](int fd) {
    if (!raw_server::read_packet(fd)) return;
    raw_server::send_bytes(fd, {0x20, 0x02, 0x00, 0x00});
    auto sub = raw_server::read_packet(fd);  // SUBSCRIBE: packet id in the first two bytes
    if (!sub || (sub->first & 0xF0) != 0x80 || sub->second.size() < 2) return;
    raw_server::send_bytes(
        fd, {0x90, 0x03, static_cast<unsigned char>(sub->second[0]), static_cast<unsigned char>(sub->second[1]), 0x80});
    raw_server::hold(fd);
  });
  harness h;
  auto rc = h.connect(0, srv.port(), client("suback80"));
  ASSERT_TRUE(rc) << h.last_failure;
  ASSERT_EQ(*rc, 0);
  h.submit(req::subscribe{0, 4242, "refused/topic", 1});
  auto s = h.wait<ev::suback>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->msg_id, 4242);
  EXPECT_EQ(s->result, 0);
}

// =========================================================================================
// SUB / UNS / PUB / incoming

TEST(PahoBackend, SubscribePublishRoundTrip) {
  harness h;
  const std::string base = unique("rt");
  ASSERT_EQ(h.connect(0, broker().port(), client(base)), 0) << h.last_failure;
  h.submit(req::subscribe{0, 7, base + "/#", 2});
  auto s = h.wait<ev::suback>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, 0);
  EXPECT_EQ(s->msg_id, 7);
  EXPECT_EQ(s->result, 0);

  std::string big(1024, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('!' + (i * 7) % 90);
  std::string binary;
  for (int i = 0; i < 1024; ++i) binary.push_back(static_cast<char>(i % 256));
  const std::vector<std::string> payloads = {
      "hello", "a,b,c", "\"quoted\"", R"({"t":21.5,"list":[1,2,3],"s":"x,y"})", big, binary, ""};
  int msg_id = 100;
  for (int qos = 0; qos <= 2; ++qos) {
    for (const auto& p : payloads) {
      const int mid = msg_id++;
      const std::string topic = base + "/q" + std::to_string(qos);
      h.submit(req::publish{0, mid, qos, false, topic, p});
      auto pub = h.wait<ev::published>([mid](const ev::published& e) { return e.msg_id == mid; });
      ASSERT_TRUE(pub) << "qos " << qos;
      EXPECT_EQ(pub->result, 0);
      auto m = h.wait<ev::message>([&](const ev::message& e) { return e.topic == topic; });
      ASSERT_TRUE(m) << "qos " << qos << " payload size " << p.size();
      EXPECT_EQ(m->id, 0);
      EXPECT_EQ(m->payload, p);
      EXPECT_EQ(m->qos, qos);
      EXPECT_FALSE(m->retained);
      if (qos == 0)
        EXPECT_EQ(m->msg_id, 0);
      else
        EXPECT_GT(m->msg_id, 0);  // the broker's packet id
    }
  }
  h.submit(req::unsubscribe{0, 9, base + "/#"});
  auto u = h.wait<ev::unsuback>();
  ASSERT_TRUE(u);
  EXPECT_EQ(u->msg_id, 9);
  EXPECT_EQ(u->result, 0);
  h.submit(req::publish{0, 55, 1, false, base + "/after", "not for us"});
  ASSERT_TRUE(h.wait<ev::published>());
  h.run_for(300ms);
  EXPECT_TRUE(h.all<ev::message>().empty());
}

TEST(PahoBackend, IncomingFromMosquittoPub) {
  harness h;
  const std::string topic = unique("ext") + "/t";
  ASSERT_EQ(h.connect(0, broker().port(), client(unique("ext"))), 0) << h.last_failure;
  h.submit(req::subscribe{0, 1, topic, 1});
  ASSERT_TRUE(h.wait<ev::suback>());
  const std::string payload = R"({"cmd":"on","v":[1,"a,b"]})";
  auto r = broker().publish(topic, payload, 1);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto m = h.wait<ev::message>();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, topic);
  EXPECT_EQ(m->payload, payload);
  EXPECT_EQ(m->qos, 1);
  EXPECT_GT(m->msg_id, 0);
}

/// The thread of this process named `name` (its /proc task id), or -1.
int thread_named(const std::string& name) {
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(e.path() / "comm");
    std::string c;
    if (std::getline(comm, c) && c == name) return std::stoi(e.path().filename().string());
  }
  return -1;
}

/// The system call thread `tid` is blocked in (-1 while it runs, or when unreadable).
long blocked_in(int tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/syscall");
  long nr = -1;
  return (f >> nr) ? nr : -1;
}

bool is_poll(long nr) {
#ifdef SYS_poll
  if (nr == SYS_poll) return true;
#endif
  return nr == SYS_ppoll;
}

// Paho's receive thread sleeps 100 ms whenever its 1 s poll ends with nothing to read, and
// a message that arrives meanwhile waits for the sleep to end (up to 100 ms late at the
// DTE). The waker keeps that poll from ending empty (paho/waker.hpp). Seen from outside:
// while a connected client sits idle for longer than that poll, the thread is found
// blocked in poll now and then, and never in a sleep.
TEST(PahoBackend, PahosReceiveThreadNeverDozesWhileIdle) {
  harness h;
  ASSERT_EQ(h.connect(0, broker().port(), client(unique("idle"))), 0) << h.last_failure;
  const int rcv = thread_named("MQTTAsync_rcv");
  ASSERT_GT(rcv, 0) << "Paho's receive thread not found in /proc/self/task";
  int polling = 0, dozing = 0, samples = 0;
  const auto until = std::chrono::steady_clock::now() + 2500ms;  // two and a half of Paho's polls
  while (std::chrono::steady_clock::now() < until && samples < 5000) {
    const long nr = blocked_in(rcv);
    polling += is_poll(nr);
    dozing += nr == SYS_nanosleep || nr == SYS_clock_nanosleep;
    ++samples;
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_GT(polling, 0) << "of " << samples << " samples: the receive thread was never seen waiting in poll";
  EXPECT_EQ(dozing, 0) << "of " << samples << " samples the receive thread was asleep, deaf to its sockets";
}

/// Connects id 0 to the test broker as `client_id` and returns the port of the relay its
/// Paho client talks to, from the backend's "CONNECT to ... via 127.0.0.1:PORT" log line
/// (0 when it failed or no such line came).
int connect_via_relay(harness& h, const std::string& client_id) {
  std::vector<std::string> log;
  h.backend().set_log_sink([&log](std::string_view l) { log.emplace_back(l); });
  const auto rc = h.connect(0, broker().port(), client(client_id));
  h.backend().set_log_sink(nullptr);
  if (rc != 0) return 0;
  int port = 0;
  for (const auto& l : log)
    if (auto at = l.find(" via 127.0.0.1:"); at != std::string::npos)
      port = std::atoi(l.c_str() + at + std::string(" via 127.0.0.1:").size());
  return port;
}

/// This process's loopback TCP sockets whose own port (`local`) or peer's port is `port`.
std::vector<int> sockets_with_port(int port, bool local) {
  std::vector<int> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(e.path().filename().c_str());
    sockaddr_in a{};
    socklen_t len = sizeof a;
    const int rc = local ? ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len)
                         : ::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len);
    if (rc != 0 || a.sin_family != AF_INET || ntohs(a.sin_port) != port) continue;
    sockaddr_in other{};
    len = sizeof other;
    // A connected socket, not the relay's listener (closed by now anyway).
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&other), &len) == 0) out.push_back(fd);
  }
  return out;
}

// A call into Paho (now CONNECT and DISCONNECT only) runs after the executor's turn that
// asked for it (so that the turn's answer to the DTE is written first, and never waits for
// Paho's lock): until that turn ends, Paho has written nothing to the relay.
TEST(PahoBackend, ACallIntoPahoWaitsForTheEndOfTheExecutorsTurn) {
  harness h;
  const std::string cid = unique("turn");
  const int port = connect_via_relay(h, cid);
  ASSERT_GT(port, 0) << "not connected, or no CONNECT line naming the relay's port: " << h.last_failure;
  const auto relay_side = sockets_with_port(port, /*local=*/true);
  ASSERT_EQ(relay_side.size(), 1u) << "the relay's socket to Paho (port " << port << ")";
  h.submit(req::disconnect{0});
  // The executor is not run: made inline, the DISCONNECT would sit in the relay's socket by now.
  std::this_thread::sleep_for(300ms);
  int waiting = -1;
  ASSERT_EQ(::ioctl(relay_side[0], FIONREAD, &waiting), 0);
  EXPECT_EQ(waiting, 0) << "bytes from Paho before the turn ended";
  h.run_for(200ms);
  EXPECT_TRUE(broker().wait_for_log("Received DISCONNECT from " + cid, 3s));
}

// Spec §5.6-5.8, §7.2: the packet id on the wire is the host's msgID (Paho chose its own
// before the backend wrote these packets itself, paho/lane.hpp), a repeated one included.
TEST(PahoBackend, PacketIdsOnTheWireAreTheHostsMsgIds) {
  harness h;
  const std::string cid = unique("ids");
  ASSERT_EQ(h.connect(0, broker().port(), client(cid)), 0) << h.last_failure;
  h.submit(req::subscribe{0, 4321, cid + "/t", 1});
  auto sub = h.wait<ev::suback>();
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->msg_id, 4321);
  for (int msg_id : {777, 777, 65535}) h.submit(req::publish{0, msg_id, 1, false, cid + "/t", "x"});
  h.submit(req::publish{0, 9000, 2, false, cid + "/t", "y"});
  int acked = 0;
  ASSERT_TRUE(h.run_until([&] {
    acked = 0;
    for (const auto& e : h.events())
      if (const auto* p = std::get_if<ev::published>(&e); p && p->result == 0) ++acked;
    return acked == 4;
  })) << acked
      << " of 4 publishes acknowledged";
  h.submit(req::unsubscribe{0, 4322, cid + "/t"});
  ASSERT_TRUE(h.wait<ev::unsuback>());
  EXPECT_TRUE(broker().wait_for_log("Received SUBSCRIBE from " + cid, 3s));
  const auto log = broker().log();
  EXPECT_NE(log.find("Received PUBLISH from " + cid + " (d0, q1, r0, m777,"), std::string::npos) << log;
  EXPECT_NE(log.find("Received PUBLISH from " + cid + " (d0, q1, r0, m65535,"), std::string::npos) << log;
  EXPECT_NE(log.find("Received PUBLISH from " + cid + " (d0, q2, r0, m9000,"), std::string::npos) << log;
  EXPECT_NE(log.find("Received PUBREL from " + cid + " (Mid: 9000)"), std::string::npos) << log;
  EXPECT_NE(log.find("Received UNSUBSCRIBE from " + cid), std::string::npos) << log;
  // The broker's copies come back: QoS 1 with the broker's own packet ids, acknowledged.
  int received = 0;
  ASSERT_TRUE(h.run_until([&] {
    received = 0;
    for (const auto& e : h.events()) received += std::holds_alternative<ev::message>(e);
    return received == 4;
  })) << received;
  EXPECT_TRUE(broker().wait_for_log("Received PUBACK from " + cid, 3s));
}

// Paho keeps Nagle on and writes small packets back to back (PUBACK then PUBREL...); its
// socket to the relay gets TCP_NODELAY from the relay, which then need not renew
// TCP_QUICKACK before each read of Paho's bytes (paho/relay.cpp).
TEST(PahoBackend, PahosSocketToTheRelayHasNagleOff) {
  harness h;
  const int port = connect_via_relay(h, unique("nagle"));
  ASSERT_GT(port, 0) << "not connected, or no CONNECT line naming the relay's port: " << h.last_failure;
  const auto paho_side = sockets_with_port(port, /*local=*/false);
  ASSERT_EQ(paho_side.size(), 1u) << "Paho's socket to the relay (peer port " << port << ")";
  int nodelay = -1;
  socklen_t len = sizeof nodelay;
  ASSERT_EQ(::getsockopt(paho_side[0], IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
  EXPECT_EQ(nodelay, 1);
}

TEST(PahoBackend, RetainedMessageArrivesAfterSuback) {
  const std::string topic = unique("ret") + "/state";
  auto r = broker().publish(topic, "retained-value", 1, true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  harness h;
  ASSERT_EQ(h.connect(0, broker().port(), client(unique("ret"))), 0) << h.last_failure;
  h.submit(req::subscribe{0, 3, topic, 1});
  auto m = h.wait<ev::message>();
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->retained);
  EXPECT_EQ(m->payload, "retained-value");
  // Network order: SUBACK first, then the retained PUBLISH.
  ASSERT_FALSE(h.all<ev::suback>().empty());
  broker().publish(topic, "", 1, true);  // clear it
}

TEST(PahoBackend, RetainFlagIsSent) {
  harness h;
  const std::string topic = unique("retpub") + "/x";
  ASSERT_EQ(h.connect(0, broker().port(), client(unique("retpub"))), 0) << h.last_failure;
  h.submit(req::publish{0, 5, 1, true, topic, "kept"});
  auto p = h.wait<ev::published>();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->result, 0);
  auto sub = broker().subscribe(topic, 1, 3);
  EXPECT_NE(sub.output.find(topic + " kept"), std::string::npos) << sub.output;
  broker().publish(topic, "", 1, true);
}

TEST(PahoBackend, RequestsWithoutConnectionFailWith2) {
  harness h;
  h.submit(req::subscribe{3, 11, "a/b", 0});
  h.submit(req::unsubscribe{3, 12, "a/b"});
  h.submit(req::publish{3, 13, 1, false, "a/b", "x"});
  auto s = h.wait<ev::suback>();
  auto u = h.wait<ev::unsuback>();
  auto p = h.wait<ev::published>();
  ASSERT_TRUE(s && u && p);
  EXPECT_EQ(s->msg_id, 11);
  EXPECT_EQ(s->result, 2);
  EXPECT_EQ(u->msg_id, 12);
  EXPECT_EQ(u->result, 2);
  EXPECT_EQ(p->msg_id, 13);
  EXPECT_EQ(p->result, 2);
}

TEST(PahoBackend, IdsAreIndependent) {
  harness h;
  const std::string base = unique("ids");
  for (int id = 0; id < 5; ++id)
    ASSERT_EQ(h.connect(id, broker().port(), client(base + "-" + std::to_string(id))), 0) << h.last_failure;
  h.submit(req::subscribe{4, 1, base + "/t", 1});
  ASSERT_TRUE(h.wait<ev::suback>());
  h.submit(req::abort{0});
  h.submit(req::disconnect{1});
  h.submit(req::publish{2, 77, 1, false, base + "/t", "from 2"});
  auto p = h.wait<ev::published>();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, 2);
  EXPECT_EQ(p->result, 0);
  auto m = h.wait<ev::message>();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->id, 4);
  EXPECT_EQ(m->payload, "from 2");
  h.submit(req::publish{0, 78, 0, false, base + "/t", "from aborted 0"});
  auto p0 = h.wait<ev::published>();
  ASSERT_TRUE(p0);
  EXPECT_EQ(p0->result, 2);
  h.run_for(200ms);
  EXPECT_TRUE(h.all<ev::link_lost>().empty());  // abort and disconnect report nothing
}

// =========================================================================================
// DISCONNECT / abort / link loss

TEST(PahoBackend, OutOfFilesAConnectWaitsForAFreeFileAndGoesOnOnceOneIsFree) {
  // The relay's listener is the one file a CONNECT needs beyond what AT+ECMTOPEN opened.
  // Out of files, the CONNECT used to fail at once ("relay: Too many open files"); now it
  // tries again every 100 ms within its CONNACK limit.
  harness h;
  std::vector<std::string> log;
  h.backend().set_log_sink([&log](std::string_view l) { log.emplace_back(l); });
  ASSERT_TRUE(h.open(0, broker().port()));

  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
  rlimit lower = before;
  lower.rlim_cur = std::min<rlim_t>(before.rlim_cur, 1024);  // bounds the loop below
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lower), 0);
  std::vector<int> taken;
  int err = 0;
  for (int i = 0; i < 2048; ++i) {
    const int fd = ::dup(2);
    if (fd < 0) {
      err = errno;
      break;
    }
    taken.push_back(fd);
  }
  auto give_back = [&] {
    for (int fd : taken) ::close(fd);
    taken.clear();
    ::setrlimit(RLIMIT_NOFILE, &before);
  };
  if (err != EMFILE) give_back();
  ASSERT_EQ(err, EMFILE);

  h.submit(req::connect{0, "127.0.0.1", broker().port(), {}, client(unique("out-of-files"))});
  h.run_for(350ms);
  const bool waited = h.all<ev::connack>().empty() && h.all<ev::connect_failed>().empty();
  give_back();
  EXPECT_TRUE(waited) << "the CONNECT ended while no file was free";
  const auto said = std::count_if(log.begin(), log.end(), [](const std::string& l) {
    return l.find("the CONNECT waits for a free file") != std::string::npos;
  });
  EXPECT_EQ(said, 1) << "said once per connect, not once per try";

  auto c = h.wait<ev::connack>([](const ev::connack& e) { return e.id == 0; }, 5s);
  ASSERT_TRUE(c) << "no CONNACK once files were free";
  EXPECT_EQ(c->return_code, 0);
}

TEST(PahoBackend, AbortMakesTheBrokerPublishTheWill) {
  const std::string cid = unique("will");
  const std::string will_topic = cid + "/will";
  auto sub = broker().subscribe_async(will_topic, 1, 8, cid + "-sub");
  ASSERT_TRUE(broker().wait_for_log("Received SUBSCRIBE from " + cid + "-sub", 5s));
  harness h;
  auto o = client(cid);
  o.will = {true, 1, false, will_topic, "gone,\"offline\""};
  ASSERT_EQ(h.connect(0, broker().port(), o), 0) << h.last_failure;
  h.submit(req::abort{0});
  h.run_for(100ms);
  auto code = sub.wait_for(8s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << sub.output();
  EXPECT_NE(sub.output().find(will_topic + " gone,\"offline\""), std::string::npos) << sub.output();
  EXPECT_EQ(broker().log().find("Received DISCONNECT from " + cid + "\n"), std::string::npos);
  EXPECT_TRUE(h.events().empty());
}

TEST(PahoBackend, DisconnectSendsDisconnectAndNoWill) {
  const std::string cid = unique("disc");
  const std::string will_topic = cid + "/will";
  auto sub = broker().subscribe_async(will_topic, 1, 2, cid + "-sub");
  ASSERT_TRUE(broker().wait_for_log("Received SUBSCRIBE from " + cid + "-sub", 5s));
  harness h;
  auto o = client(cid);
  o.will = {true, 0, false, will_topic, "should not appear"};
  ASSERT_EQ(h.connect(0, broker().port(), o), 0) << h.last_failure;
  h.submit(req::disconnect{0});
  h.run_for(200ms);
  EXPECT_TRUE(broker().wait_for_log("Received DISCONNECT from " + cid, 3s));
  sub.wait_for(5s);
  EXPECT_EQ(sub.output().find("should not appear"), std::string::npos) << sub.output();
  EXPECT_TRUE(h.events().empty());
}

TEST(PahoBackend, BrokerKilledIsLinkLostThenReconnect) {
  harness h;
  auto& b = broker();  // broker() restarts a stopped broker; use b while it is down
  const std::string cid = unique("kill");
  ASSERT_EQ(h.connect(0, b.port(), client(cid)), 0) << h.last_failure;
  ASSERT_EQ(h.connect(1, b.port(), client(cid + "-b")), 0) << h.last_failure;
  b.kill();
  auto l0 = h.wait<ev::link_lost>([](const ev::link_lost& e) { return e.id == 0; });
  auto l1 = h.wait<ev::link_lost>([](const ev::link_lost& e) { return e.id == 1; });
  ASSERT_TRUE(l0);
  ASSERT_TRUE(l1);
  EXPECT_FALSE(l0->detail.empty());
  // While the broker is down a new CONNECT fails at TCP level.
  auto rc = h.connect(0, b.port(), client(cid));
  EXPECT_FALSE(rc);
  EXPECT_EQ(h.last_failure.rfind("TCP", 0), 0u) << h.last_failure;
  b.start();
  rc = h.connect(0, b.port(), client(cid));
  ASSERT_TRUE(rc) << h.last_failure;
  EXPECT_EQ(*rc, 0);
  h.run_for(200ms);
  EXPECT_TRUE(h.all<ev::link_lost>().empty());  // exactly one per link
}

TEST(PahoBackend, BrokerStoppedIsLinkLost) {
  harness h;
  auto& b = broker();
  ASSERT_EQ(h.connect(0, b.port(), client(unique("stop"))), 0) << h.last_failure;
  b.stop();
  auto l = h.wait<ev::link_lost>();
  b.start();
  ASSERT_TRUE(l);
  EXPECT_EQ(l->id, 0);
}

TEST(PahoBackend, DestructorWithLiveLinksDoesNotBlock) {
  harness h;
  for (int id = 0; id < 3; ++id) ASSERT_EQ(h.connect(id, broker().port(), client(unique("dtor"))), 0) << h.last_failure;
  h.submit(req::open{3, "127.0.0.1", broker().port(), {}});  // still pending
  const auto t0 = std::chrono::steady_clock::now();
  h.destroy_backend();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
}

TEST(PahoBackend, AbortOrDisconnectWhilePendingReportsNothing) {
  harness h;
  h.submit(req::open{0, "127.0.0.1", broker().port(), {}});
  h.submit(req::abort{0});
  h.submit(req::connect{1, "127.0.0.1", broker().port(), {}, client(unique("pending"))});
  h.submit(req::abort{1});
  h.submit(req::connect{2, "127.0.0.1", broker().port(), {}, client(unique("pending"))});
  h.submit(req::disconnect{2});
  h.run_for(500ms);
  EXPECT_TRUE(h.events().empty());
  // The ids are usable again afterwards.
  EXPECT_TRUE(h.open(0, broker().port()));
  EXPECT_EQ(h.connect(1, broker().port(), client(unique("pending"))), 0) << h.last_failure;
}

TEST(PahoBackend, ManyClientsConnectAtOnce) {
  // Several backends (as with many modems in one process), all connecting together.
  constexpr int backends = 20;
  std::vector<std::unique_ptr<harness>> hs;
  for (int i = 0; i < backends; ++i) hs.push_back(std::make_unique<harness>());
  const std::string base = unique("many");
  for (int i = 0; i < backends; ++i)
    for (int id = 0; id < 5; ++id)
      hs[static_cast<std::size_t>(i)]->submit(req::connect{
          id, "127.0.0.1", broker().port(), {}, client(base + "-" + std::to_string(i) + "-" + std::to_string(id))});
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& h : hs) {
    ASSERT_TRUE(h->run_until([&] { return h->all<ev::connack>().size() == 5; }, 10s));
    for (const auto& c : h->all<ev::connack>()) EXPECT_EQ(c.return_code, 0);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

// =========================================================================================
// TLS

TEST(PahoBackend, TlsWithTheRightCa) {
  harness h({}, broker().dir());
  tls_options tls;
  tls.mode = 1;
  tls.ca_file = "ca.crt";  // relative: resolved against the certificate directory
  ASSERT_TRUE(h.open(0, broker().tls_port(), tls));
  const std::string cid = unique("tls");
  auto rc = h.connect(0, broker().tls_port(), client(cid), tls);
  ASSERT_TRUE(rc) << h.last_failure;
  EXPECT_EQ(*rc, 0);
  h.submit(req::subscribe{0, 1, cid + "/t", 1});
  ASSERT_TRUE(h.wait<ev::suback>());
  h.submit(req::publish{0, 2, 1, false, cid + "/t", std::string(1024, 'z')});
  auto m = h.wait<ev::message>();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, std::string(1024, 'z'));
}

TEST(PahoBackend, TlsWithTheWrongCaFailsAtOpen) {
  harness h;
  tls_options tls;
  tls.mode = 1;
  tls.ca_file = broker().wrong_ca_file();
  h.submit(req::open{0, "127.0.0.1", broker().tls_port(), tls});
  auto o = h.wait<ev::opened>();
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->ok);
  EXPECT_EQ(o->detail.rfind("TLS", 0), 0u) << o->detail;
  auto rc = h.connect(0, broker().tls_port(), client("wrongca"), tls);
  EXPECT_FALSE(rc);
  EXPECT_EQ(h.last_failure.rfind("TLS", 0), 0u) << h.last_failure;
}

TEST(PahoBackend, TlsMissingFileFailsAtOpen) {
  harness h({}, broker().dir());
  tls_options tls;
  tls.mode = 1;
  tls.ca_file = "no-such-ca.crt";
  h.submit(req::open{0, "127.0.0.1", broker().tls_port(), tls});
  auto o = h.wait<ev::opened>();
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->ok);
  EXPECT_NE(o->detail.find("not found"), std::string::npos) << o->detail;
}

TEST(PahoBackend, MutualTls) {
  harness h({}, broker().dir());
  tls_options tls;
  tls.mode = 2;
  tls.ca_file = "ca.crt";
  tls.cert_file = "client.crt";
  tls.key_file = broker().client_key_file();  // absolute works too
  ASSERT_TRUE(h.open(0, broker().mtls_port(), tls));
  auto rc = h.connect(0, broker().mtls_port(), client(unique("mtls")), tls);
  ASSERT_TRUE(rc) << h.last_failure;
  EXPECT_EQ(*rc, 0);
  // Without a client certificate the broker drops the link: no CONNACK.
  tls_options server_only;
  server_only.mode = 1;
  server_only.ca_file = "ca.crt";
  rc = h.connect(1, broker().mtls_port(), client(unique("mtls-nocert")), server_only);
  EXPECT_FALSE(rc);
}
