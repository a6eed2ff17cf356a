// Small text helpers of the scenario JSON loader (case and UTF-8 come from at/text).

#include "scenario/json_detail.hpp"

namespace nt35e::scenario::json_detail {

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < list.size()) {
    auto comma = list.find(", ", start);
    if (comma == std::string::npos) comma = list.size();
    out.push_back(list.substr(start, comma - start));
    start = comma + 2;
  }
  return out;
}

}  // namespace nt35e::scenario::json_detail
