#include "modem/action.hpp"

namespace nt35e::modem {

const char* to_string(log_level level) {
  switch (level) {
    case log_level::trace:
      return "trace";
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
  }
  return "?";
}

}  // namespace nt35e::modem
