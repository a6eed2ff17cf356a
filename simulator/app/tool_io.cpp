#include "app/tool_io.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace nt35e::app {

std::optional<std::string> read_input(const std::string& path, std::string& error) {
  if (path == "-") {
    std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return s;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = std::string("cannot open the file: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) {
    error = "cannot read the file";
    return std::nullopt;
  }
  return ss.str();
}

bool write_output(const std::string& path, const std::string& text, std::string& error) {
  if (path.empty() || path == "-") {
    std::cout << text;
    std::cout.flush();
    if (!std::cout) {
      error = "cannot write to stdout";
      return false;
    }
    return true;
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) {
    error = "cannot create " + path + ": " + std::strerror(errno);
    return false;
  }
  f << text;
  f.close();
  if (!f) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

std::string base_name(const std::string& path) {
  if (path == "-") return "stdin";
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int finish_output(std::string_view tool, const std::string& path, const std::string& text) {
  std::string error;
  if (!write_output(path, text, error)) {
    std::cerr << tool << ": error: " << error << "\n";
    return 1;
  }
  if (!path.empty() && path != "-") std::cerr << "wrote " << path << "\n";
  return 0;
}

}  // namespace nt35e::app
