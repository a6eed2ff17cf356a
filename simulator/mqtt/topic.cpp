#include "mqtt/topic.hpp"

namespace nt35e::mqtt {

bool topic_matches(std::string_view filter, std::string_view topic) {
  // Topics starting with '$' are not matched by wildcards at the first level.
  if (!topic.empty() && topic[0] == '$' && !filter.empty() && (filter[0] == '+' || filter[0] == '#')) return false;
  std::size_t f = 0, t = 0;
  while (true) {
    auto f_end = filter.find('/', f);
    auto t_end = topic.find('/', t);
    auto f_level = filter.substr(f, f_end == std::string_view::npos ? std::string_view::npos : f_end - f);
    if (f_level == "#") return true;
    auto t_level = topic.substr(t, t_end == std::string_view::npos ? std::string_view::npos : t_end - t);
    if (f_level != "+" && f_level != t_level) return false;
    bool f_last = f_end == std::string_view::npos;
    bool t_last = t_end == std::string_view::npos;
    if (f_last && t_last) return true;
    if (t_last) return !f_last && filter.substr(f_end + 1) == "#";  // "a/#" matches "a"
    if (f_last) return false;
    f = f_end + 1;
    t = t_end + 1;
  }
}

}  // namespace nt35e::mqtt
