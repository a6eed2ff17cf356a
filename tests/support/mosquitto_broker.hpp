#pragma once
// Test fixture: a real mosquitto on free loopback ports, with a generated config,
// password file and OpenSSL-made certificates in a private temp dir. Plus helpers that
// run mosquitto_pub / mosquitto_sub with bounded timeouts. Linux/POSIX only.
//
// Listeners (all on 127.0.0.1):
//   port()       anonymous, plain TCP
//   auth_port()  user name + password required (allow_anonymous false); mosquitto answers
//                a wrong or missing password with CONNACK 5 (not authorised)
//   tls_port()   TLS, server certificate signed by ca_file() (SAN IP:127.0.0.1, DNS:localhost)
//   mtls_port()  TLS with require_certificate true (client_cert_file()/client_key_file())

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace nt35e::test {

/// A child process whose stdout and stderr go to one file.
class child_process {
 public:
  child_process() = default;
  /// Starts argv[0] (searched in PATH); throws std::runtime_error when that fails.
  child_process(const std::vector<std::string>& argv, std::string output_file);
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  /// SIGKILLs and reaps a child that still runs.
  ~child_process();

  [[nodiscard]] pid_t pid() const { return pid_; }
  /// True while the child has not been reaped.
  bool running();
  /// Waits up to `timeout`; the exit code (128+signal when killed) or nullopt if still running.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  void send_signal(int sig);
  /// Everything the child wrote so far.
  [[nodiscard]] std::string output() const;
  [[nodiscard]] const std::string& output_file() const { return output_file_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string output_file_;
};

struct run_result {
  int exit_code = -1;  ///< 128+signal when killed; -1 when it had to be killed for the timeout
  bool timed_out = false;
  std::string output;  ///< stdout and stderr together
};

/// Runs a command to completion, killing it after `timeout`.
run_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                       const std::string& scratch_dir = "/tmp");

struct broker_config {
  bool tls = true;             ///< generate certificates and the two TLS listeners
  std::string user = "nt35e";  ///< the password listener's one account
  std::string password = "s3cret";
};

class mosquitto_broker {
 public:
  /// Generates everything and starts the broker; throws std::runtime_error on failure.
  explicit mosquitto_broker(broker_config cfg = {});
  ~mosquitto_broker();  // SIGKILL and remove the temp dir
  mosquitto_broker(const mosquitto_broker&) = delete;
  mosquitto_broker& operator=(const mosquitto_broker&) = delete;

  /// Starts mosquitto and waits (≤5 s) until every listener accepts TCP connections.
  void start();
  /// SIGTERM, wait ≤5 s (then SIGKILL).
  void stop();
  /// SIGKILL now: clients see their connections reset/closed without a DISCONNECT.
  void kill();
  /// stop() if running, then start() on the same ports.
  void restart();
  bool running();

  [[nodiscard]] int port() const { return ports_[0]; }
  [[nodiscard]] int auth_port() const { return ports_[1]; }
  [[nodiscard]] int tls_port() const { return ports_[2]; }
  [[nodiscard]] int mtls_port() const { return ports_[3]; }
  [[nodiscard]] const std::string& user() const { return cfg_.user; }
  [[nodiscard]] const std::string& password() const { return cfg_.password; }

  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] std::string ca_file() const { return dir_ + "/ca.crt"; }
  [[nodiscard]] std::string wrong_ca_file() const { return dir_ + "/other-ca.crt"; }
  [[nodiscard]] std::string server_cert_file() const { return dir_ + "/server.crt"; }
  [[nodiscard]] std::string client_cert_file() const { return dir_ + "/client.crt"; }
  [[nodiscard]] std::string client_key_file() const { return dir_ + "/client.key"; }
  [[nodiscard]] std::string log_file() const { return dir_ + "/mosquitto.log"; }
  /// The broker's log so far (log_type all).
  [[nodiscard]] std::string log() const;
  /// Polls the log until it contains `needle` (true) or the timeout passes (false).
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) const;

  /// mosquitto_pub on the anonymous listener (5 s limit). `extra` is appended to argv.
  run_result publish(const std::string& topic, const std::string& payload, int qos = 0, bool retain = false,
                     const std::vector<std::string>& extra = {}) const;
  /// mosquitto_sub -v -C count -W wait_s on the anonymous listener; blocks until done.
  run_result subscribe(const std::string& topic, int count, int wait_s, int qos = 0) const;
  /// The same in the background. Pass a client id and wait_for_log("Received SUBSCRIBE from
  /// " + client_id) to know that the subscription is in place.
  child_process subscribe_async(const std::string& topic, int count, int wait_s, const std::string& client_id,
                                int qos = 0) const;

 private:
  void write_files();
  std::string next_output_file(const std::string& stem) const;

  broker_config cfg_;
  std::string dir_;
  int ports_[4] = {0, 0, 0, 0};
  child_process proc_;
  mutable int files_ = 0;
};

}  // namespace nt35e::test
