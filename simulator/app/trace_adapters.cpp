#include "app/trace_adapters.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

#include "io/logger.hpp"

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

/// The pcapng file and the exporter writing it, block by block, flushed so that a
/// crash leaves whole blocks.
struct trace_tap::pcap_output {
  std::ofstream file;
  std::string path;
  bool failed = false;
  std::optional<trace::pcap_exporter> exporter;
};

trace_tap::trace_tap(const options& opts, const modem::profile& profile, const scenario::scenario& world,
                     modem::time_point start) {
  const auto redact = redaction(opts, profile);
  // One time zero for both files: the trace's "started" is the capture's origin.
  const auto started = trace::utc_now_iso8601();
  if (opts.record_file) {
    try {
      file_ = std::make_unique<trace::recorder>(
          *opts.record_file, trace::header{profile.name, started, {}, world.oracle, world.expect}, redact, start);
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("--record: ") + e.what());
    }
  }
  if (opts.pcap_file) {
    pcap_ = std::make_unique<pcap_output>();
    pcap_->path = *opts.pcap_file;
    pcap_->file.open(pcap_->path, std::ios::binary | std::ios::trunc);
    if (!pcap_->file) {
      int err = errno;
      throw std::runtime_error("--pcap: cannot write the capture to " + pcap_->path + ": " + std::strerror(err));
    }
    auto origin = trace::epoch_us(started).value_or(0);
    auto* out = pcap_.get();
    out->exporter.emplace(
        [out](std::string_view block) {
          out->file.write(block.data(), static_cast<std::streamsize>(block.size()));
          out->file.flush();
          if (!out->file) out->failed = true;
        },
        origin);
    pcap_rec_ = std::make_unique<trace::recorder>(
        [out](const trace::event& e, const mqtt::any_request* r, const mqtt::any_event* ev) {
          if (r)
            out->exporter->add(*r, e.t_us);
          else if (ev)
            out->exporter->add(*ev, e.t_us);
          else
            out->exporter->add(e);
        },
        redact, start);
  }
}

trace_tap::~trace_tap() {
  const auto now = modem::clock::now();
  if (file_) file_->finish(now);
  if (pcap_rec_) {
    pcap_rec_->finish(now);
    pcap_->exporter->finish();
  }
}

void trace_tap::check() {
  if (warned_) return;
  std::string why;
  if (file_ && !file_->ok())
    why = "the recording stopped: " + file_->error();
  else if (pcap_ && pcap_->failed)
    why = "the capture stopped: cannot write to " + pcap_->path + " (disk full or file closed?)";
  if (why.empty()) return;
  warned_ = true;
  io::print_now(stderr, "nt35e-sim: " + why + "\n");
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
