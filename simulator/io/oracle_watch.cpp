#include "io/oracle_watch.hpp"

#include <chrono>
#include <cstdio>
#include <utility>

namespace nt35e::io {

namespace {

/// How often explain mode checks the deadlines no byte brings (NO-RECOVERY, NO-RESUBSCRIBE).
constexpr std::chrono::seconds tick_period{1};

std::optional<explain::language> language_of(std::string_view explain) {
  if (explain == "en") return explain::language::en;
  if (explain == "zh") return explain::language::zh;
  return std::nullopt;
}

}  // namespace

oracle_watch::oracle_watch(boost::asio::any_io_executor ex, settings s, modem::time_point origin,
                           session_observer* next, logger& log)
    : settings_(std::move(s)),
      judge_(settings_.rules, origin, settings_.expect),
      next_(next),
      log_(log),
      lang_(language_of(settings_.explain)),
      timer_(std::move(ex)) {}

oracle_watch::~oracle_watch() { stop(); }

void oracle_watch::on_input(std::string_view bytes, modem::time_point now) {
  if (next_) next_->on_input(bytes, now);
  judge_.on_dte(bytes, now);
  report_new();
}

void oracle_watch::on_output(std::string_view bytes, modem::time_point now) {
  if (next_) next_->on_output(bytes, now);
  judge_.on_module(bytes, now);
  report_new();
}

void oracle_watch::on_commands(std::uint64_t started, modem::time_point now) {
  if (next_) next_->on_commands(started, now);
}

void oracle_watch::start() {
  if (!lang_ || ticking_) return;
  ticking_ = true;
  tick();
}

void oracle_watch::stop() {
  ticking_ = false;
  timer_.cancel();
}

void oracle_watch::tick() {
  timer_.expires_after(tick_period);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !ticking_) return;
    judge_.advance(std::chrono::steady_clock::now());
    report_new();
    tick();
  });
}

oracle::verdict oracle_watch::verdict(modem::time_point now) {
  judge_.advance(now);
  report_new();
  oracle::verdict v;
  v.lenient = judge_.settings().lenient;
  v.threshold = settings_.threshold;
  v.modems.push_back(oracle::collect(judge_, settings_.name));
  return v;
}

oracle::verdict oracle_watch::verdict() { return verdict(std::chrono::steady_clock::now()); }

std::string oracle_watch::explain_line(const oracle::finding& f, explain::language lang) {
  const auto* e = explain::find_rule(f.rule);
  char at[32];
  std::snprintf(at, sizeof at, "%.3f", static_cast<double>(f.t_us) / 1e6);
  std::string out = std::string(oracle::to_string(f.level)) + " " + f.rule;
  if (e) out += " (" + std::string(e->spec) + ")";
  out += " at " + std::string(at) + " s: " + f.detail;
  if (e) out += lang == explain::language::zh ? " — 原因：" + std::string(e->zh) : " — why: " + std::string(e->en);
  return out;
}

void oracle_watch::report_new() {
  const auto& all = judge_.findings();
  if (!lang_) {
    printed_ = all.size();
    return;
  }
  for (; printed_ < all.size(); ++printed_) log_.log(log_level::info, "oracle: " + explain_line(all[printed_], *lang_));
}

}  // namespace nt35e::io
