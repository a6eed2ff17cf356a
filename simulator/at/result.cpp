#include "at/result.hpp"

namespace nt35e::at {

const char* cme_text(int code) {
  switch (code) {
    case 3:
      return "operation not allowed";
    case 4:
      return "operation not supported";
    case 10:
      return "SIM not inserted";
    case 11:
      return "SIM PIN required";
    case 12:
      return "SIM PUK required";
    case 13:
      return "SIM failure";
    case 14:
      return "SIM busy";
    case 30:
      return "no network service";
    case 50:
      return "incorrect parameters";
    default:
      return "unknown";
  }
}

failure syntax_error(std::string reason, std::string sentence) {
  return failure{false, 0, std::move(reason), std::move(sentence)};
}

failure cme_error(int code, std::string reason, std::string sentence) {
  return failure{true, code, std::move(reason), std::move(sentence)};
}

failure not_allowed(std::string reason, std::string sentence) {
  return cme_error(3, std::move(reason), std::move(sentence));
}

}  // namespace nt35e::at
