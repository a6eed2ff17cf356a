#pragma once
// Trace events built in memory for the tests of what reads a trace (the report, the diff).

#include <cstdint>
#include <string>
#include <utility>

#include "trace/trace_file.hpp"

namespace nt35e::test {

/// An event at `t_ms`: `data` is the bytes of dte>mod and mod>dte, the text of the others
/// (`text`, when given, instead).
inline trace::event trace_event(std::int64_t t_ms, trace::direction d, std::string data, std::string text = {}) {
  trace::event e;
  e.t_us = t_ms * 1000;
  e.dir = d;
  if (d == trace::direction::dte_to_module || d == trace::direction::module_to_dte)
    e.data = std::move(data);
  else
    e.text = std::move(text.empty() ? data : text);
  return e;
}

}  // namespace nt35e::test
