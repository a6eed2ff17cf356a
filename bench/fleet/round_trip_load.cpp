#include "fleet/round_trip_load.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <stdexcept>
#include <thread>

namespace nt35e::bench::fleet {

namespace {
constexpr std::size_t payload_size = 32;
}  // namespace

load_result round_trips_under_load(dte_fleet& f, const std::vector<std::size_t>& publishers, int rounds, double idle_s,
                                   double load_s, std::size_t samples, double per_modem_rate, int load_nice,
                                   const std::function<void(int round)>& after_round) {
  load_result out;
  line_channel dte0(f.detach(0));
  // state = slice number * 4 + phase; phase 0: changing (no samples), 1: idle, 2: loaded.
  std::atomic<int> state{0};
  std::atomic<bool> stop{false}, sampler_failed{false};
  std::vector<double> idle, loaded;
  std::string rtt_error;  // written by the sampler before sampler_failed, read after join
  const std::size_t per_slice = (samples + static_cast<std::size_t>(rounds) - 1) / static_cast<std::size_t>(rounds);
  // Samples are spread evenly over each slice, not taken back to back from its start: at
  // 40 µs a round trip, a burst of them would all fall in the slice's first milliseconds,
  // and time the load's onset instead of the fleet under it.
  const auto spacing_of = [&](int phase) {
    return seconds_of((phase == 1 ? idle_s : load_s) / static_cast<double>(per_slice));
  };
  std::thread sampler([&] {
    try {
      int last = -1;
      std::size_t in_slice = 0;
      clock::time_point slice_start{};
      while (!stop.load()) {
        const int s = state.load();
        const int phase = s & 3;
        if (s != last) {
          last = s;
          in_slice = 0;
          slice_start = clock::now();
        }
        if (phase == 0 || in_slice >= per_slice) {
          std::this_thread::sleep_for(1ms);
          continue;
        }
        const auto due = slice_start + spacing_of(phase) * static_cast<long>(in_slice);
        if (clock::now() < due) {
          std::this_thread::sleep_until(std::min(due, clock::now() + 1ms));  // and look at the phase again
          continue;
        }
        const auto t0 = clock::now();
        if (!dte0.send("AT\r")) throw std::runtime_error("modem 0: the line is gone");
        if (!dte0.wait_exact("OK", t0 + 10s)) throw std::runtime_error("modem 0: no OK to AT within 10 s");
        const auto t1 = clock::now();
        if (state.load() != s) continue;  // straddled a change of phase
        (phase == 1 ? idle : loaded).push_back(micros(t1 - t0));
        ++in_slice;
      }
    } catch (const std::exception& e) {
      rtt_error = e.what();
      sampler_failed.store(true);
    }
  });

  // The load runs on a thread of its own, at `load_nice` (the sampler, started above, keeps
  // the caller's priority): on a machine with fewer cores than busy threads, the 999-line
  // load generator would otherwise take the CPUs from the simulator it is measuring, and
  // the round trip would time the kernel's sharing, not the simulator's order of work.
  std::exception_ptr load_error;
  std::thread loader([&] {
    if (load_nice > 0) (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), load_nice);
    try {
      std::string payload(payload_size, 'x');
      std::vector<std::string> cmd(f.size());
      for (std::size_t i : publishers)
        cmd[i] = "AT+ECMTPUB=0,0,0,0,\"bench/fleet/" + std::to_string(i) + "\",\"" + payload + "\"\r";
      std::vector<char> busy(f.size(), 0);
      std::size_t outstanding = 0;
      bool issuing = false, counting = false;
      auto handle = [&](std::size_t i, std::string_view l) {
        const bool error = l.find("ERROR") != std::string_view::npos;
        if (l == "OK" || error) {
          if (!busy[i]) return;
          busy[i] = 0;
          --outstanding;
          if (error && out.errors++ == 0) out.first_failure = "modem " + std::to_string(i) + ": " + std::string(l);
          if (!error && counting) ++out.publishes;
          if (issuing) {
            f.send(i, cmd[i]);
            busy[i] = 1;
            ++outstanding;
          }
        } else if (l.rfind("+ECMTPUB:0,", 0) == 0 && l.substr(l.size() - 2) != ",0") {
          if (out.failed_urcs++ == 0 && out.first_failure.empty())
            out.first_failure = "modem " + std::to_string(i) + ": " + std::string(l);
        }
      };

      // Paced load: one send every `step` across the fleet, round robin; a modem still
      // waiting for its previous OK skips its turn (counted as late).
      const bool paced = per_modem_rate > 0;
      const auto step =
          paced ? seconds_of(1.0 / (per_modem_rate * static_cast<double>(publishers.size()))) : clock::duration::zero();
      std::size_t next_sender = 0;
      clock::time_point next_due{};
      auto drive = [&](clock::time_point until) {
        if (!paced) return f.run_until(until, handle);
        for (auto now = clock::now(); now < until; now = clock::now()) {
          for (; next_due <= now; next_due += step) {
            const std::size_t i = publishers[next_sender];
            next_sender = (next_sender + 1) % publishers.size();
            if (busy[i]) {
              if (counting) ++out.late;
              continue;
            }
            f.send(i, cmd[i]);
            busy[i] = 1;
            ++outstanding;
          }
          f.run_until(std::min(until, now + 1ms), handle);  // sends go out in small bursts, once per ms
        }
      };

      int slice = 0;
      auto enter = [&](int phase) { state.store(++slice * 4 + phase); };
      for (int r = 0; r < rounds && !sampler_failed.load(); ++r) {
        enter(1);
        f.run_until(clock::now() + seconds_of(idle_s), handle);
        enter(0);
        if (paced) {
          next_due = clock::now();
        } else {
          issuing = true;
          for (std::size_t i : publishers) {
            f.send(i, cmd[i]);
            busy[i] = 1;
            ++outstanding;
          }
        }
        drive(clock::now() + 100ms);
        enter(2);
        counting = true;
        const auto t0 = clock::now();
        drive(t0 + seconds_of(load_s));
        counting = false;
        out.loaded_s += std::chrono::duration<double>(clock::now() - t0).count();
        enter(0);
        issuing = false;
        const auto drain_deadline = clock::now() + 10s;
        while (outstanding > 0 && clock::now() < drain_deadline) f.run_until(clock::now() + 5ms, handle);
        if (outstanding > 0) {
          out.why = std::to_string(outstanding) + " publishes unanswered 10 s after the load stopped";
          break;
        }
        f.run_until(clock::now() + 20ms, handle);  // the URCs of the last publishes
        if (after_round) after_round(r);
      }
    } catch (...) {
      load_error = std::current_exception();
    }
  });
  loader.join();
  stop.store(true);
  sampler.join();
  if (load_error) std::rethrow_exception(load_error);
  if (!rtt_error.empty()) out.why = rtt_error;
  out.loaded_over_5ms =
      static_cast<std::size_t>(std::count_if(loaded.begin(), loaded.end(), [](double us) { return us > 5000; }));
  out.idle = summarize(std::move(idle));
  out.loaded = summarize(std::move(loaded));
  out.measured = out.idle.n > 0 && out.loaded.n > 0;
  if (!out.measured && out.why.empty()) out.why = "no round trip samples";
  return out;
}

}  // namespace nt35e::bench::fleet
