#pragma once
// A private temporary directory for end-to-end tests (they may run in parallel), removed
// with everything in it when the object goes.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>

namespace nt35e::test {

class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix = "nt35e-e2e-") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& root() const { return path_; }
  /// The path of `name` inside (nothing is created).
  std::string path(const std::string& name) const { return (path_ / name).string(); }
  /// Writes `text` to `name` (its folders created); returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  /// The same, readable and writable by its owner only (as a token file must be).
  std::string write_private(const std::string& name, const std::string& text) const {
    auto p = write(name, text);
    std::filesystem::permissions(p, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return p;
  }
  /// Every regular file below the directory, relative to it.
  std::set<std::string> files() const {
    std::set<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(path_))
      if (e.is_regular_file()) out.insert(std::filesystem::relative(e.path(), path_).string());
    return out;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace nt35e::test
