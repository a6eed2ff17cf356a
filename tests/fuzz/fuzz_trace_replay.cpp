// libFuzzer target: arbitrary text through the trace reader and, when it is a trace,
// the replayer: the recorded host lines are typed back (so the replay goes deep), then
// one line off script, with time run out between them. The input's size picks the match
// mode, the off-script policy and the time scale. Invariants: a trace written back out
// (to_jsonl, always version 2) reads again with as many events and the same bytes; the replayer's deadlines never go
// back in time; a replay that never went off script matches every recorded host line it was fed.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz/fuzz_support.hpp"
#include "trace/replayer.hpp"
#include "trace/trace_file.hpp"

using nt35e::fuzz::violated;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace tr = nt35e::trace;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = tr::parse(text, "fuzz.jsonl");
  if (auto* e = std::get_if<tr::load_error>(&parsed)) {
    if (e->message.empty()) violated("a rejected trace without a message", "");
    return 0;
  }
  auto& t = std::get<tr::trace>(parsed);
  const std::string again = tr::to_jsonl(t);
  auto reparsed = tr::parse(again, "fuzz-again.jsonl");
  if (auto* e = std::get_if<tr::load_error>(&reparsed))
    violated("a trace written back out does not read again", e->message + "\n" + again);
  const auto& back = std::get<tr::trace>(reparsed).events;
  if (back.size() != t.events.size()) violated("a trace written back out has another number of events", again);
  for (std::size_t i = 0; i < back.size(); ++i)
    if (back[i].data != t.events[i].data) violated("bytes written out read back as other bytes", again);

  tr::replay_options o;
  o.match = size % 2 ? tr::match_mode::lenient : tr::match_mode::strict;
  o.policy = static_cast<tr::off_script>((size / 2) % 3);
  o.time_scale = (size / 6) % 2 ? 0.001 : 1.0;
  std::vector<std::string> host;
  for (const auto& e : t.events)
    if (e.dir == tr::direction::dte_to_module) host.push_back(e.data);
  host.push_back("AT+OFFSCRIPT\r");

  using namespace std::chrono;
  nt35e::modem::time_point now{};
  tr::replayer r(std::move(t), o, now);
  // Runs the replay's timers to `until`; bounded, since every call must make progress.
  auto run = [&](nt35e::modem::time_point until) {
    for (int i = 0; i < 10'000; ++i) {
      const auto next = r.next_deadline();
      if (!next || *next > until) break;
      if (*next > now) now = *next;
      (void)r.on_timer(now);
    }
    if (until > now) now = until;
  };
  for (const auto& h : host) {
    run(now + seconds(5));
    (void)r.feed(h, now);
    if (r.handover_requested() || r.stopped()) break;
  }
  run(now + hours(1));
  (void)r.pending_input();
  if (r.matched_lines() > r.script_lines()) violated("more lines matched than recorded", again);
  return 0;
}
