// End-to-end: the real nt35e-sim binary over its PTY, TCP and stdio lines.
// Only what the spec fixes is relied on here: the ECRDY banner, echo and OK.

#include "support/sim_process.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#ifndef NT35E_EXPECTED_VERSION
#error "define NT35E_EXPECTED_VERSION as the project version"
#endif

namespace nt35e::test {
namespace {

namespace fs = std::filesystem;

const std::string banner = "\r\nECRDY\r\n";
const std::string ok = "\r\nOK\r\n";
const std::string busy = "nt35e-sim: busy, another DTE is connected\r\n";
/// Log lines of the simulator's transcript the tests wait for.
const std::string closed = "DTE closed";
const std::string ok_logged = "DTE <- \"\\r\\nOK\\r\\n\"";
/// The banner comes 1.5 s after the ready line; generous for a loaded CI machine.
constexpr auto banner_timeout = 6s;

/// A private directory for symlinks, removed afterwards (tests may run in parallel).
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "nt35e-e2e-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

/// Reads up to the end of the next final result (OK or ERROR), whatever the command was.
std::string read_final(dte_client& dte, milliseconds timeout = 3s) {
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (got.find("OK\r\n") == std::string::npos && got.find("ERROR\r\n") == std::string::npos) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms || dte.at_eof()) break;
    got += dte.read_for(std::min(left, milliseconds(50)));
  }
  return got;
}

/// Exactly one line, ending in a newline.
bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

// ---------------------------------------------------------------------------
// PTY

class pty_line : public ::testing::Test {
 protected:
  void SetUp() override {
    link_ = (dir_ / "nt35e0").string();
    sim_ = std::make_unique<sim_process>(std::vector<std::string>{"--pty", link_});
    ASSERT_TRUE(sim_->wait_ready()) << sim_->diagnostics();
  }

  temp_dir dir_;
  std::string link_;
  std::unique_ptr<sim_process> sim_;
};

TEST_F(pty_line, ready_line_names_slave_and_link) {
  EXPECT_EQ(sim_->pty_link(), link_);
  EXPECT_EQ(sim_->pty_slave().rfind("/dev/pts/", 0), 0u) << sim_->ready_line();
  EXPECT_EQ(fs::read_symlink(link_).string(), sim_->pty_slave());
}

TEST_F(pty_line, ready_block_says_the_modem_boots_first_and_how_to_skip_it) {
  const auto& out = sim_->stdout_seen();
  EXPECT_NE(out.find("\nthe modem boots first: ECRDY after 1.5 s (input before it is ignored), registered 2 s later; "
                     "--set timing.boot=0 --set timing.registration=0 skips that, --time-scale 0.05"),
            std::string::npos)
      << out;
}

TEST(boot_note, follows_the_time_scale_and_goes_when_the_boot_is_skipped) {
  sim_process fast({"--tcp", "0", "--time-scale", "0.05"});
  ASSERT_TRUE(fast.wait_ready()) << fast.diagnostics();
  EXPECT_NE(fast.stdout_seen().find("ECRDY after 75 ms (input before it is ignored), registered 100 ms later"),
            std::string::npos)
      << fast.stdout_seen();
  sim_process skipped({"--tcp", "0", "--set", "timing.boot=0", "--set", "timing.registration=0"});
  ASSERT_TRUE(skipped.wait_ready()) << skipped.diagnostics();
  EXPECT_EQ(skipped.stdout_seen().find("boots first"), std::string::npos) << skipped.stdout_seen();
  // Skipped, the banner comes at once and the modem is registered.
  auto dte = dte_client::connect_tcp(skipped.tcp_port());
  ASSERT_TRUE(dte.send("AT+CEREG?\r"));
  EXPECT_NE(dte.read_until(ok, 2s).find("+CEREG:0,1"), std::string::npos) << skipped.diagnostics();
}

TEST_F(pty_line, banner_echo_and_ok) {
  auto dte = dte_client::open_pty(link_);
  EXPECT_EQ(dte.read_until(banner, banner_timeout), banner) << sim_->diagnostics();
  ASSERT_TRUE(dte.send("AT\r"));
  EXPECT_EQ(dte.read_until(ok), "AT\r" + ok) << sim_->diagnostics();
}

TEST_F(pty_line, survives_close_mid_line_and_keeps_state_across_reopen) {
  {
    auto dte = dte_client::open_pty(link_);
    ASSERT_EQ(dte.read_until(banner, banner_timeout), banner) << sim_->diagnostics();
    ASSERT_TRUE(dte.send("AT+CS"));
    ASSERT_TRUE(sim_->wait_stderr("DTE -> \"AT+CS\"")) << sim_->diagnostics();
  }
  ASSERT_TRUE(sim_->wait_stderr(closed, 5s, 1)) << sim_->diagnostics();
  {
    auto dte = dte_client::open_pty(link_);
    // The half line is still in the module's buffer, as on a real UART: end it first.
    ASSERT_TRUE(dte.send("\r"));
    auto flushed = read_final(dte);
    EXPECT_NE(flushed.find("\r\n"), std::string::npos) << printable(flushed) << sim_->diagnostics();
    ASSERT_TRUE(dte.send("ATE0\r"));
    EXPECT_EQ(dte.read_until(ok), "ATE0\r" + ok) << sim_->diagnostics();
  }
  ASSERT_TRUE(sim_->wait_stderr(closed, 5s, 2)) << sim_->diagnostics();
  auto dte = dte_client::open_pty(link_);
  ASSERT_TRUE(dte.send("AT\r"));
  EXPECT_EQ(dte.read_until(ok), ok) << "echo should stay off after reopening\n" << sim_->diagnostics();
}

TEST_F(pty_line, output_while_closed_is_not_delivered_later) {
  {
    auto dte = dte_client::open_pty(link_);
    ASSERT_EQ(dte.read_until(banner, banner_timeout), banner) << sim_->diagnostics();
    // Close before the 5 ms answer: the echo may already sit in the slave's queue,
    // and the OK comes while no DTE is there.
    ASSERT_TRUE(dte.send("AT\r"));
  }
  ASSERT_TRUE(sim_->wait_stderr(closed)) << sim_->diagnostics();
  ASSERT_TRUE(sim_->wait_stderr(ok_logged)) << sim_->diagnostics();
  auto dte = dte_client::open_pty(link_);
  ASSERT_TRUE(dte.send("AT\r"));
  EXPECT_EQ(dte.read_until(ok), "AT\r" + ok) << "stale output reached the new DTE\n" << sim_->diagnostics();
  EXPECT_EQ(dte.read_for(100ms), "");
}

TEST_F(pty_line, makes_the_line_raw_again_after_a_dte_cooked_it) {
  {
    auto dte = dte_client::open_pty(link_);
    ASSERT_EQ(dte.read_until(banner, banner_timeout), banner) << sim_->diagnostics();
    termios t{};
    ASSERT_EQ(::tcgetattr(dte.read_fd(), &t), 0);
    EXPECT_EQ(t.c_lflag & (ICANON | ECHO), 0u) << "the simulator should hand out a raw line";
    // What `stty sane` would leave behind.
    t.c_lflag |= ICANON | ECHO | ISIG;
    t.c_iflag |= ICRNL;
    t.c_oflag |= OPOST | ONLCR;
    ASSERT_EQ(::tcsetattr(dte.read_fd(), TCSANOW, &t), 0);
  }
  auto dte = dte_client::open_pty(link_);
  ASSERT_TRUE(dte.send("AT\r"));
  // Cooked, the slave would turn CR into LF and echo the module's output back to it.
  EXPECT_EQ(dte.read_until(ok), "AT\r" + ok) << sim_->diagnostics();
  termios t{};
  ASSERT_EQ(::tcgetattr(dte.read_fd(), &t), 0);
  EXPECT_EQ(t.c_lflag & (ICANON | ECHO), 0u);
}

TEST_F(pty_line, sigterm_removes_the_link_and_exits_zero) {
  ASSERT_TRUE(fs::is_symlink(link_));
  ASSERT_TRUE(fs::is_regular_file(link_ + ".lock"));
  EXPECT_EQ(sim_->stop(), 0) << sim_->diagnostics();
  EXPECT_FALSE(fs::exists(fs::symlink_status(link_))) << "the link should be gone";
  EXPECT_FALSE(fs::exists(link_ + ".lock")) << "the lock file should be gone";
}

TEST_F(pty_line, a_second_simulator_on_the_same_link_exits_two_and_leaves_the_first_working) {
  const auto slave = sim_->pty_slave();
  auto second = run_sim({"--pty", link_});
  EXPECT_EQ(second.status, 2) << second.err;
  EXPECT_TRUE(one_line(second.err)) << printable(second.err);
  EXPECT_NE(second.err.find("the link is live, owned by process " + std::to_string(sim_->pid())), std::string::npos)
      << second.err;
  EXPECT_EQ(second.out.find("ready:"), std::string::npos) << second.out;
  // The link is still the first one's, and the first still answers through it.
  EXPECT_EQ(fs::read_symlink(link_).string(), slave);
  auto dte = dte_client::open_pty(link_);
  ASSERT_EQ(dte.read_until(banner, banner_timeout), banner) << sim_->diagnostics();
  ASSERT_TRUE(dte.send("AT\r"));
  EXPECT_EQ(dte.read_until(ok), "AT\r" + ok) << sim_->diagnostics();
  dte.close();
  EXPECT_EQ(sim_->stop(), 0) << sim_->diagnostics();
  EXPECT_FALSE(fs::exists(fs::symlink_status(link_))) << "the first one's exit should remove the link";
}

TEST(pty_link, replaces_a_link_whose_simulator_died) {
  temp_dir dir;
  auto link = (dir / "nt35e0").string();
  {
    sim_process first({"--pty", link});
    ASSERT_TRUE(first.wait_ready()) << first.diagnostics();
    first.signal(SIGKILL);  // no clean stop: the link and the lock file stay behind
    ASSERT_TRUE(first.wait_exit(5s));
  }
  ASSERT_TRUE(fs::is_symlink(link));
  ASSERT_TRUE(fs::exists(link + ".lock"));
  sim_process second({"--pty", link});
  ASSERT_TRUE(second.wait_ready()) << second.diagnostics();
  EXPECT_EQ(fs::read_symlink(link).string(), second.pty_slave());
  auto dte = dte_client::open_pty(link);
  ASSERT_EQ(dte.read_until(banner, banner_timeout), banner) << second.diagnostics();
}

TEST(pty_access, mode_and_group_apply_to_the_slave) {
  struct choice {
    std::string mode, group;
    unsigned want_mode, want_gid;
  };
  // dialout (gid 20 on Debian) is the group of serial ports; a number works as well.
  for (const auto& c : {choice{"0660", "dialout", 0660, 20}, choice{"600", "5", 0600, 5}}) {
    temp_dir dir;
    sim_process sim({"--pty", (dir / "nt35e0").string(), "--pty-mode", c.mode, "--pty-group", c.group});
    ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
    struct stat st {};
    ASSERT_EQ(::stat(sim.pty_slave().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, c.want_mode) << c.mode;
    EXPECT_EQ(st.st_gid, c.want_gid) << c.group;
  }
}

// ---------------------------------------------------------------------------
// TCP

class tcp_line : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<sim_process>(std::vector<std::string>{"--tcp", "0"});
    ASSERT_TRUE(sim_->wait_ready()) << sim_->diagnostics();
    port_ = sim_->tcp_port();
    ASSERT_GT(port_, 0) << sim_->ready_line();
  }

  std::unique_ptr<sim_process> sim_;
  int port_ = 0;
};

TEST_F(tcp_line, ready_line_shows_the_real_port) {
  EXPECT_EQ(sim_->ready_line(), "ready: tcp 127.0.0.1:" + std::to_string(port_));
}

TEST_F(tcp_line, banner_echo_and_ok) {
  auto dte = dte_client::connect_tcp(port_);
  EXPECT_EQ(dte.read_until(banner, banner_timeout), banner) << sim_->diagnostics();
  ASSERT_TRUE(dte.send("AT\r"));
  EXPECT_EQ(dte.read_until(ok), "AT\r" + ok) << sim_->diagnostics();
}

TEST_F(tcp_line, second_client_is_told_busy_and_closed) {
  auto first = dte_client::connect_tcp(port_);
  ASSERT_EQ(first.read_until(banner, banner_timeout), banner) << sim_->diagnostics();

  auto second = dte_client::connect_tcp(port_);
  EXPECT_EQ(second.read_until(busy), busy) << sim_->diagnostics();
  auto rest = second.read_for(3s);  // ends early at the simulator's close
  EXPECT_EQ(rest, "");
  EXPECT_TRUE(second.at_eof()) << "the busy client should be disconnected";

  ASSERT_TRUE(first.send("AT\r"));
  EXPECT_EQ(first.read_until(ok), "AT\r" + ok) << sim_->diagnostics();
}

TEST_F(tcp_line, survives_close_mid_line_and_keeps_state_across_reconnect) {
  {
    auto dte = dte_client::connect_tcp(port_);
    ASSERT_EQ(dte.read_until(banner, banner_timeout), banner) << sim_->diagnostics();
    ASSERT_TRUE(dte.send("AT+CS"));
    ASSERT_TRUE(sim_->wait_stderr("DTE -> \"AT+CS\"")) << sim_->diagnostics();
  }
  ASSERT_TRUE(sim_->wait_stderr("disconnected")) << sim_->diagnostics();
  {
    auto dte = dte_client::connect_tcp(port_);
    ASSERT_TRUE(dte.send("\r"));
    auto flushed = read_final(dte);
    EXPECT_NE(flushed.find("\r\n"), std::string::npos) << printable(flushed) << sim_->diagnostics();
    ASSERT_TRUE(dte.send("ATE0\r"));
    EXPECT_EQ(dte.read_until(ok), "ATE0\r" + ok) << sim_->diagnostics();
  }
  auto dte = dte_client::connect_tcp(port_);
  ASSERT_TRUE(dte.send("AT\r"));
  auto answer = dte.read_until(ok);
  EXPECT_NE(answer, busy) << "a DTE reconnecting at once must not be refused by its own old connection";
  EXPECT_EQ(answer, ok) << "echo should stay off after reconnecting\n" << sim_->diagnostics();
}

TEST_F(tcp_line, out_of_files_it_retries_accept_quietly_and_serves_the_dte_once_files_are_free) {
  // The running simulator may open no new file: its accept fails with EMFILE while the
  // client waits in the listen queue (its connect succeeds).
  rlimit before{};
  ASSERT_EQ(::prlimit(sim_->pid(), RLIMIT_NOFILE, nullptr, &before), 0);
  const rlimit none_left{1, before.rlim_max};
  ASSERT_EQ(::prlimit(sim_->pid(), RLIMIT_NOFILE, &none_left, nullptr), 0);

  auto dte = dte_client::connect_tcp(port_);
  ASSERT_TRUE(sim_->wait_stderr("accept failed: Too many open files")) << sim_->diagnostics();
  std::this_thread::sleep_for(600ms);  // six tries at least
  const auto log = sim_->diagnostics();
  std::size_t said = 0;
  for (auto at = log.find("accept failed"); at != std::string::npos; at = log.find("accept failed", at + 1)) ++said;
  EXPECT_EQ(said, 1u) << "the episode is said once, not once per try\n" << log;
  EXPECT_EQ(log.find("DTE connected"), std::string::npos) << log;

  ASSERT_EQ(::prlimit(sim_->pid(), RLIMIT_NOFILE, &before, nullptr), 0);
  EXPECT_TRUE(sim_->wait_stderr("accepting again after")) << sim_->diagnostics();
  EXPECT_EQ(dte.read_until(banner, banner_timeout), banner) << sim_->diagnostics();
  ASSERT_TRUE(dte.send("AT\r"));
  EXPECT_EQ(dte.read_until(ok), "AT\r" + ok) << sim_->diagnostics();
}

TEST_F(tcp_line, sigint_stops_cleanly) {
  sim_->signal(SIGINT);
  EXPECT_EQ(sim_->wait_exit(5s), std::optional<int>(0)) << sim_->diagnostics();
}

bool ipv6_loopback_available() {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

TEST(tcp_ipv6, listens_on_bracketed_address) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
  sim_process sim({"--tcp", "[::1]:0"});
  ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
  ASSERT_EQ(sim.ready_line().rfind("ready: tcp [::1]:", 0), 0u) << sim.ready_line();
  auto dte = dte_client::connect_tcp(sim.tcp_port(), "::1");
  EXPECT_EQ(dte.read_until(banner, banner_timeout), banner) << sim.diagnostics();
}

// ---------------------------------------------------------------------------
// stdio

TEST(stdio_line, answers_a_pipe_and_exits_after_its_end) {
  sim_process sim({"--stdio"}, launch_options{.pipe_stdin = true, .ready_on_stderr = true});
  ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
  EXPECT_EQ(sim.ready_line(), "ready: stdio");
  dte_client dte(sim.stdout_fd(), sim.stdin_fd());
  sim.release_stdio();
  EXPECT_EQ(dte.read_until(banner, banner_timeout), banner) << sim.diagnostics();
  ASSERT_TRUE(dte.send("AT\r"));
  EXPECT_EQ(dte.read_until(ok), "AT\r" + ok) << sim.diagnostics();
  dte.close_write();
  EXPECT_EQ(sim.wait_exit(15s), std::optional<int>(0)) << sim.diagnostics();
}

// ---------------------------------------------------------------------------
// Options

struct bad_option {
  std::string label;  ///< the test's name
  std::vector<std::string> args;
  std::string names;  ///< what the message must mention
};

void PrintTo(const bad_option& b, std::ostream* os) {
  for (const auto& a : b.args) *os << a << ' ';
}

class bad_options : public ::testing::TestWithParam<bad_option> {};

TEST_P(bad_options, exit_two_with_one_sentence) {
  auto r = run_sim(GetParam().args);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_TRUE(one_line(r.err)) << printable(r.err);
  EXPECT_NE(r.err.find(GetParam().names), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--help"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

INSTANTIATE_TEST_SUITE_P(
    e2e, bad_options,
    ::testing::Values(
        bad_option{"tcp_without_port", {"--tcp"}, "--tcp"},
        bad_option{"unknown_profile", {"--profile", "nope"}, "nope"},
        bad_option{"unknown_option", {"--bogus"}, "--bogus"},
        bad_option{"two_transports", {"--tcp", "0", "--pty", "/tmp/x"}, "--pty"},
        bad_option{"port_out_of_range", {"--tcp", "70000"}, "70000"}, bad_option{"bad_echo", {"--echo", "2"}, "--echo"},
        bad_option{"bad_log_level", {"--log-level", "loud"}, "loud"},
        bad_option{"set_without_equals", {"--set", "echo"}, "--set"},
        bad_option{"set_unknown_field", {"--set", "nosuchfield=1"}, "nosuchfield"},
        bad_option{"stray_argument", {"stray"}, "stray"},
        bad_option{"pty_mode_not_octal", {"--pty-mode", "0689"}, "--pty-mode"},
        bad_option{"pty_mode_too_high", {"--pty-mode", "4755"}, "4755"},
        bad_option{"pty_group_unknown", {"--pty-group", "nosuchgroupx"}, "nosuchgroupx"},
        bad_option{"pty_mode_with_tcp", {"--tcp", "0", "--pty-mode", "0660"}, "--pty-mode goes only with --pty"}),
    [](const ::testing::TestParamInfo<bad_option>& info) { return info.param.label; });

TEST(options, help_exits_zero_with_usage_on_stdout) {
  auto r = run_sim({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("Usage: nt35e-sim", 0), 0u) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(options, version_prints_the_version) {
  auto r = run_sim({"--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "nt35e-sim " NT35E_EXPECTED_VERSION "\n");
}

}  // namespace
}  // namespace nt35e::test
