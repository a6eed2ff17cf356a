#pragma once
// What the fuzz targets share: an invariant violation aborts, so libFuzzer keeps the
// input (and the corpus replay ctest fails on it).

#include <cstdio>
#include <cstdlib>
#include <string>

namespace nt35e::fuzz {

[[noreturn]] inline void violated(const char* what, const std::string& detail) {
  std::fprintf(stderr, "invariant violated: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace nt35e::fuzz
