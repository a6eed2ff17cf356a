#include "at/result.hpp"

namespace nt35e::at {

failure syntax_error(std::string reason, std::string sentence) {
  return failure{false, 0, std::move(reason), std::move(sentence), false, {}};
}

failure cme_error(int code, std::string reason, std::string sentence) {
  return failure{true, code, std::move(reason), std::move(sentence), false, {}};
}

failure socket_error(std::string text, std::string reason, std::string sentence) {
  return failure{false, 0, std::move(reason), std::move(sentence), false, std::move(text)};
}

failure cms_error(int code, std::string reason, std::string sentence) {
  failure f = cme_error(code, std::move(reason), std::move(sentence));
  f.is_cms = true;
  return f;
}

failure not_allowed(std::string reason, std::string sentence) {
  return cme_error(3, std::move(reason), std::move(sentence));
}

}  // namespace nt35e::at
