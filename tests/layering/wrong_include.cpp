// Deliberately wrong: the core may not see the I/O layer. This file is compiled by the
// ctest layering_wrong_include_fails with only the core's include folder; the test
// passes when the compiler cannot find the header, proving that the layering holds.
#include "io/session.hpp"
