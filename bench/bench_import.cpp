// bench_import: `nt35e-sim import` on customer-sized serial logs, in time and peak memory.
//
// A scenario import runs the simulator's core over the whole log (the reference run), once
// more per answer that differs, and aligns the log's module lines with the simulator's.
// Each of those steps was once quadratic in the log's length (a 10,000-line log took
// 400 MB, 800 differing answers 14.5 s). The baseline, measured on the same log in the
// same run, is `import --to trace`: reading and placing the lines only, which is linear.
//
// Logs (generated, plain transcripts):
//  * agreeing: AT+CSQ answered as the simulator answers, a URC the simulator does not
//    write every 500 commands (an inject rule each): the reference run and the alignment;
//  * differing: every answer differs from the simulator's (a replace rule each): the
//    rounds, bounded by the import's cap of 1000 differences and of 2,000,000 commands
//    re-run in all;
//  * injected: a URC the simulator does not write after every command (an inject rule each).
// Figures: wall time and peak RSS of the child (wait4), and the time per command of the
// longest agreeing log against the 10,000-command one (about 1 when the import is linear).

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/bench_common.hpp"
#include "common/results.hpp"

namespace nt35e::bench {
namespace {

struct child_cost {
  double ms = 0;
  double peak_mib = 0;
};

/// Runs `nt35e-sim import ARGS`, output and messages to /dev/null; its wall time and peak RSS.
child_cost run_import(const std::vector<std::string>& args, double limit_s) {
  const auto start = clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> argv;
    std::string binary = NT35E_SIM_BINARY, import = "import";
    argv.push_back(binary.data());
    argv.push_back(import.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::alarm(static_cast<unsigned>(limit_s) + 1);  // bounded: a run past its limit ends by SIGALRM
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  if (::wait4(pid, &status, 0, &usage) != pid) throw std::runtime_error("wait4 failed");
  const auto took = clock::now() - start;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("nt35e-sim import " + args.back() + " failed (status " + std::to_string(status) + ")");
  return {millis(took), static_cast<double>(usage.ru_maxrss) / 1024.0};
}

/// A plain transcript of `commands` AT+CSQ exchanges; one URC the simulator does not write
/// every 500.
std::string agreeing_log(int commands) {
  std::string out = "ECRDY\n";
  for (int i = 0; i < commands; ++i) {
    out += "AT+CSQ\n+CSQ:23,99\nOK\n";
    if (i % 500 == 7) out += "+ECMTSTAT:0,1\n";
  }
  return out;
}

/// `commands` configuration commands, each answered ERROR where the simulator says OK.
std::string differing_log(int commands) {
  std::string out = "ECRDY\n";
  for (int i = 0; i < commands; ++i) out += "AT+ECMTCFG=\"keepalive\",0," + std::to_string(60 + i % 100) + "\nERROR\n";
  return out;
}

/// The least of `repeats` runs (the machine's noise only ever adds).
child_cost best_of(int repeats, const std::vector<std::string>& args, double limit_s) {
  child_cost best{1e300, 0};
  for (int r = 0; r < repeats; ++r) {
    auto c = run_import(args, limit_s);
    if (c.ms < best.ms) best.ms = c.ms;
    if (c.peak_mib > best.peak_mib) best.peak_mib = c.peak_mib;
  }
  return best;
}

int run(int argc, char** argv) {
  auto opts = parse_options(argc, argv,
                            "nt35e-sim import on generated serial logs: time and peak memory of --to scenario\n"
                            "against --to trace on the same log. --count: commands of the longest agreeing log\n"
                            "(default 100000, --quick 30000); --seconds: limit per import (default 120).");
  auto machine = describe_machine();
  std::cout << "bench_import on " << to_text(machine) << "\n";
  const int longest = opts.count > 0 ? opts.count : (opts.quick ? 30'000 : 100'000);
  const double limit = opts.seconds > 0 ? opts.seconds : 120.0;
  const int repeats = opts.quick ? 1 : 3;

  const auto dir = std::filesystem::temp_directory_path() / ("nt35e-bench-import-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  struct cleanup {
    std::filesystem::path d;
    ~cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  } remove_dir{dir};
  auto write = [&](const std::string& name, const std::string& text) {
    const auto path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  };

  std::vector<row> rows;
  std::vector<double> ms_per_line;
  std::vector<int> sizes;
  for (int n = 1000; n < longest; n *= 10) sizes.push_back(n);
  sizes.push_back(longest);
  for (int n : sizes) {
    const auto log = write("agreeing-" + std::to_string(n) + ".log", agreeing_log(n));
    const auto out = (dir / "out").string();
    const auto trace = best_of(repeats, {"--format", "plain", "--to", "trace", "-o", out, log}, limit);
    const auto scen = best_of(repeats, {"--format", "plain", "--to", "scenario", "-o", out, log}, limit);
    const std::string what = "import, " + std::to_string(n) + " commands agreeing";
    rows.push_back({what, "", "time", "ms", scen.ms, trace.ms, goal::none, 0,
                    "baseline: the same log --to trace (no reference run)"});
    rows.push_back({what, "", "peak RSS", "MiB", scen.peak_mib, trace.peak_mib, goal::none, 0, ""});
    ms_per_line.push_back(scen.ms / n);
  }
  // Against the second size, not the first: a 1000-command import is mostly the process
  // starting (a few ms), which would flatter the ratio.
  const std::size_t reference = sizes.size() > 2 ? 1 : 0;
  const double growth = ms_per_line.back() / ms_per_line[reference];
  rows.push_back(
      {"import, time per command: " + std::to_string(longest) + " vs " + std::to_string(sizes[reference]) + " commands",
       "", "ratio", "×", growth, std::nullopt, goal::value_at_most, 2.0,
       "about 1 when linear; 10 was a quadratic import at 100,000 against 10,000"});

  // Differing answers: 200 and 800 (one run of the log each), then a log longer than the
  // bound on re-runs allows and differing everywhere (the worst case: the rounds stop at
  // the bound, the alignment's search at its step budget).
  const int everywhere = opts.quick ? 3'000 : 20'000;
  for (int n : {200, 800, everywhere}) {
    const auto log = write("differing-" + std::to_string(n) + ".log", differing_log(n));
    const auto out = (dir / "out").string();
    const auto trace =
        best_of(n == everywhere ? 1 : repeats, {"--format", "plain", "--to", "trace", "-o", out, log}, limit);
    const auto scen =
        best_of(n == everywhere ? 1 : repeats, {"--format", "plain", "--to", "scenario", "-o", out, log}, limit);
    rows.push_back({"import, " + std::to_string(n) + " answers differing", "", "time", "ms", scen.ms, trace.ms,
                    goal::none, 0,
                    n == everywhere ? "bounded: 2,000,000 commands re-run in all, then a warning"
                                    : "one run of the log per difference: quadratic, capped at 1000"});
    if (n == everywhere)
      rows.push_back({"import, " + std::to_string(n) + " answers differing", "", "peak RSS", "MiB", scen.peak_mib,
                      trace.peak_mib, goal::none, 0, ""});
  }
  // A URC the simulator does not write after every command: an inject rule each.
  {
    const int n = opts.quick ? 5'000 : 20'000;
    std::string text = "ECRDY\n";
    for (int i = 0; i < n; ++i) text += "AT+CSQ\n+CSQ:23,99\nOK\n+ECMTSTAT:0,1\n";
    const auto log = write("injected-" + std::to_string(n) + ".log", text);
    const auto out = (dir / "out").string();
    const auto trace = best_of(repeats, {"--format", "plain", "--to", "trace", "-o", out, log}, limit);
    const auto scen = best_of(repeats, {"--format", "plain", "--to", "scenario", "-o", out, log}, limit);
    const std::string what = "import, " + std::to_string(n) + " URCs to inject";
    rows.push_back({what, "", "time", "ms", scen.ms, trace.ms, goal::none, 0, "a rule per URC"});
    rows.push_back({what, "", "peak RSS", "MiB", scen.peak_mib, trace.peak_mib, goal::none, 0, ""});
  }

  print_table("Log import (nt35e-sim import; ratio = --to scenario / --to trace)", rows);
  record_results(opts, "import", "Log import (bench_import)", machine, rows,
                 {"Wall time is the least of " + std::to_string(repeats) +
                  " runs; peak RSS from wait4. Generated plain transcripts (bench_import.cpp)."});
  return 0;
}

}  // namespace
}  // namespace nt35e::bench

int main(int argc, char** argv) {
  return nt35e::bench::guarded_main("bench_import", [&] { return nt35e::bench::run(argc, argv); });
}
