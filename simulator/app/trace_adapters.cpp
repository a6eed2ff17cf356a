#include "app/trace_adapters.hpp"

#include <cstdio>

namespace nt35e::app {
namespace {

trace::redact_options redaction(const options& opts, const modem::profile& profile) {
  trace::redact_options r;
  r.passwords = !profile.show_secrets;
  r.payloads = opts.redact_payloads;
  r.credentials = opts.redact_credentials;
  return r;
}

class replay_source final : public io::answer_source {
 public:
  replay_source(trace::trace t, trace::replay_options o, bool hand_over_at_end)
      : replay_(std::move(t), o, modem::clock::now()), hand_over_at_end_(hand_over_at_end) {}
  modem::actions feed(std::string_view bytes, modem::time_point now) override { return replay_.feed(bytes, now); }
  modem::actions on_timer(modem::time_point now) override { return replay_.on_timer(now); }
  std::optional<modem::time_point> next_deadline() const override { return replay_.next_deadline(); }
  // "Replay the boot, then go live": with policy handover the end of the trace hands over too.
  bool handover_requested() const override {
    return replay_.handover_requested() || (hand_over_at_end_ && replay_.finished());
  }
  std::string pending_input() const override { return replay_.pending_input(); }

 private:
  trace::replayer replay_;
  bool hand_over_at_end_;
};

}  // namespace

trace_tap::trace_tap(const std::string& path, const options& opts, const modem::profile& profile,
                     const scenario::scenario& world, modem::time_point start)
    : rec_(path, trace::header{profile.name, "", {}, world.oracle, world.expect}, redaction(opts, profile), start) {}

trace_tap::~trace_tap() { rec_.finish(modem::clock::now()); }

void trace_tap::check() {
  if (rec_.ok() || warned_) return;
  warned_ = true;
  std::fprintf(stderr, "nt35e-sim: the recording stopped: %s\n", rec_.error().c_str());
}

std::variant<std::unique_ptr<io::answer_source>, std::string> make_replay_source(const std::string& path,
                                                                                 const options& opts,
                                                                                 const modem::profile& profile) {
  auto loaded = trace::load(path);
  if (auto* error = std::get_if<trace::load_error>(&loaded)) return "--replay: " + error->message;
  trace::replay_options o;
  o.match = opts.replay_lenient ? trace::match_mode::lenient : trace::match_mode::strict;
  o.policy = opts.off_script == "stop"       ? trace::off_script::stop
             : opts.off_script == "handover" ? trace::off_script::handover
                                             : trace::off_script::error;
  o.time_scale = profile.time_scale;
  return std::unique_ptr<io::answer_source>(std::make_unique<replay_source>(
      std::move(std::get<trace::trace>(loaded)), o, o.policy == trace::off_script::handover));
}

}  // namespace nt35e::app
