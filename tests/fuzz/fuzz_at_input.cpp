// libFuzzer target: arbitrary bytes through the line discipline, the parser,
// every handler and the scripted broker, with time moving between chunks.
// The first byte of each 64-byte chunk picks how far time jumps, so guard
// timers, boots and reconnects are reached too.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "support/core_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nt35e::test::core_harness h;
  h.run_for(std::chrono::milliseconds(4000));  // past boot and registration
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    auto chunk = input.substr(0, 64);
    input.remove_prefix(chunk.size());
    h.send(chunk);
    h.run_for(std::chrono::milliseconds(static_cast<unsigned char>(chunk[0]) * 20));
    h.take_output();
    h.take_requests();
  }
  h.run_for(std::chrono::milliseconds(30'000));
  return 0;
}
