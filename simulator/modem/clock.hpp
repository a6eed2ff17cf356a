#pragma once
// Time is passed into the core; it never reads a clock itself, so every behaviour
// can be tested by moving a number forward.

#include <chrono>

namespace nt35e::modem {
using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
using duration = std::chrono::milliseconds;
}  // namespace nt35e::modem
