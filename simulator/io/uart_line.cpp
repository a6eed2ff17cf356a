#include "io/uart_line.hpp"

#include <algorithm>

namespace nt35e::io {

namespace {

/// A line that went quiet for less than this is still "busy": the next piece follows the
/// previous one's last bit, so a late timer does not slow the whole answer down.
constexpr std::chrono::milliseconds catch_up{50};

}  // namespace

uart_line::uart_line(const modem::uart_settings& settings) : settings_(settings) {
  if (settings_.fragment_seed) fragments_ = std::make_unique<std::mt19937_64>(*settings_.fragment_seed);
}

uart_line::duration uart_line::wire_time(std::size_t bytes) const {
  if (settings_.baud <= 0) return duration::zero();
  // 10 bits a byte: start, 8 data, stop (8N1).
  return duration(static_cast<std::int64_t>(bytes) * 10 * 1'000'000'000LL / settings_.baud);
}

std::uint64_t uart_line::draw(std::uint64_t n) { return n <= 1 || !fragments_ ? 0 : (*fragments_)() % n; }

uart_line::write uart_line::next_write(std::string_view waiting, time_point now) {
  write w;
  w.size = waiting.size();
  if (settings_.fragment_seed) {
    // 1 byte up to the rest of the current line (its LF included), uniformly.
    auto lf = waiting.find('\n');
    std::size_t line = lf == std::string_view::npos ? waiting.size() : lf + 1;
    w.size = 1 + static_cast<std::size_t>(draw(line));
  }
  if (settings_.baud > 0) {
    // A long piece trickles out in slices of about max_slice, as on the wire.
    auto per_byte = wire_time(1);
    auto slice = static_cast<std::size_t>(std::max<std::int64_t>(1, max_slice / per_byte));
    w.size = std::min(w.size, slice);
    auto start = free_at_ + catch_up >= now ? free_at_ : now;
    w.at = start + wire_time(w.size);
  } else if (settings_.fragment_seed) {
    w.at = std::max(now, free_at_ + fragment_gap);
  } else {
    w.at = now;
  }
  return w;
}

void uart_line::add_noise(const modem::line_noise& n) {
  if (n.until <= n.from || n.percent <= 0) return;
  noise_.push_back(n);
  if (noise_rng_)
    noise_rng_->seed(n.seed);
  else
    noise_rng_ = std::make_unique<std::mt19937_64>(n.seed);
}

std::size_t uart_line::apply_noise(std::string& piece, time_point now) {
  std::erase_if(noise_, [&](const modem::line_noise& n) { return n.until <= now; });
  auto open = std::find_if(noise_.begin(), noise_.end(), [&](const auto& n) { return n.from <= now; });
  if (open == noise_.end()) return 0;
  std::size_t hit = 0;
  std::string out;
  out.reserve(piece.size());
  for (char c : piece) {
    if (static_cast<int>((*noise_rng_)() % 100) >= open->percent) {
      out.push_back(c);
      continue;
    }
    ++hit;
    if (!open->drop) out.push_back(static_cast<char>(static_cast<unsigned char>(c) ^ (1u << ((*noise_rng_)() % 8))));
  }
  piece.swap(out);
  return hit;
}

}  // namespace nt35e::io
