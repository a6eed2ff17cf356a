#pragma once
// Files in and out for the trace tools (nt35e-sim import, nt35e-sim report): "-" is
// stdin or stdout, and every failure is a sentence naming the file.

#include <optional>
#include <string>
#include <string_view>

namespace nt35e::app {

/// The whole file at `path` ("-": stdin), or nothing with `error` set.
std::optional<std::string> read_input(const std::string& path, std::string& error);

/// Writes `text` to `path` ("" or "-": stdout); false with `error` set when it fails.
bool write_output(const std::string& path, const std::string& text, std::string& error);

/// A tool's last step: writes `text` to `path` and says "wrote PATH" on stderr when it is a
/// file; on failure says "<tool>: error: <why>". Returns the tool's exit status (0 or 1).
int finish_output(std::string_view tool, const std::string& path, const std::string& text);

/// The file name messages use for `path`: its last component, "stdin" for "-".
std::string base_name(const std::string& path);

}  // namespace nt35e::app
