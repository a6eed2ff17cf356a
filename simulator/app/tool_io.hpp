#pragma once
// Files in and out for the trace tools (nt35e-sim import, nt35e-sim report): "-" is
// stdin or stdout, and every failure is a sentence naming the file.

#include <optional>
#include <string>

namespace nt35e::app {

/// The whole file at `path` ("-": stdin), or nothing with `error` set.
std::optional<std::string> read_input(const std::string& path, std::string& error);

/// Writes `text` to `path` ("" or "-": stdout); false with `error` set when it fails.
bool write_output(const std::string& path, const std::string& text, std::string& error);

/// The file name messages use for `path`: its last component, "stdin" for "-".
std::string base_name(const std::string& path);

}  // namespace nt35e::app
