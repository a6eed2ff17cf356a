// io/access_guard: the loopback rule, the token comparison and the token file checks
// that guard the control channel (and later endpoints).

#include "io/access_guard.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace {

using namespace nt35e;
namespace fs = std::filesystem;
using boost::asio::ip::make_address;
using boost::asio::ip::tcp;

TEST(AccessGuard, LoopbackIsThisHostOnly) {
  EXPECT_TRUE(io::is_loopback(make_address("127.0.0.1")));
  EXPECT_TRUE(io::is_loopback(make_address("127.1.2.3")));  // all of 127.0.0.0/8
  EXPECT_TRUE(io::is_loopback(make_address("::1")));
  EXPECT_TRUE(io::is_loopback(make_address("::ffff:127.0.0.1")));
  // Every interface, a LAN address, a public one: other hosts can reach them.
  EXPECT_FALSE(io::is_loopback(make_address("0.0.0.0")));
  EXPECT_FALSE(io::is_loopback(make_address("::")));
  EXPECT_FALSE(io::is_loopback(make_address("192.168.1.10")));
  EXPECT_FALSE(io::is_loopback(make_address("128.0.0.1")));
  EXPECT_FALSE(io::is_loopback(make_address("::ffff:10.0.0.1")));
  EXPECT_FALSE(io::is_loopback(make_address("fe80::1")));
}

TEST(AccessGuard, ConstantTimeEqualIsEquality) {
  const std::string secret = "0123456789abcdef";
  EXPECT_TRUE(io::constant_time_equal(secret, "0123456789abcdef"));
  EXPECT_FALSE(io::constant_time_equal(secret, "0123456789abcdeF"));                  // last byte
  EXPECT_FALSE(io::constant_time_equal(secret, "X123456789abcdef"));                  // first byte
  EXPECT_FALSE(io::constant_time_equal(secret, "0123456789abcde"));                   // a prefix
  EXPECT_FALSE(io::constant_time_equal(secret, "0123456789abcdef0123456789abcdef"));  // the secret twice
  EXPECT_FALSE(io::constant_time_equal(secret, ""));
  EXPECT_FALSE(io::constant_time_equal("", ""));  // no secret: nothing matches
}

TEST(AccessGuard, ListenerOffLoopbackNeedsAToken) {
  const tcp::endpoint any(make_address("0.0.0.0"), 7000), local(make_address("127.0.0.1"), 7000);
  EXPECT_EQ(io::listener_refusal("--control", local, false, "--control-token-file"), "");
  EXPECT_EQ(io::listener_refusal("--control", any, true, "--control-token-file"), "");
  EXPECT_EQ(io::listener_refusal("--control", any, false, "--control-token-file"),
            "--control 0.0.0.0:7000 can be reached from other hosts, so it needs a token: give --control-token-file "
            "FILE (clients then send the token in FILE), or listen on 127.0.0.1");
}

class TokenFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nt35e-token-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    const auto path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    ::chmod(path.c_str(), mode);
    return path;
  }
  fs::path dir_;
};

TEST_F(TokenFile, OneLineIsTheToken) {
  std::string error;
  auto t = io::read_token_file(write("t", "s3cret-token-0123456789\n"), error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(*t, "s3cret-token-0123456789");
  t = io::read_token_file(write("crlf", "s3cret-token-0123456789\r\n", 0640), error);  // group may read
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(*t, "s3cret-token-0123456789");
}

TEST_F(TokenFile, BadFilesAreRefusedWithoutShowingTheToken) {
  std::string error;
  EXPECT_FALSE(io::read_token_file((dir_ / "missing").string(), error));
  EXPECT_EQ(error, "cannot read the token file " + (dir_ / "missing").string() + ": No such file or directory");

  const auto world = write("world", "s3cret-token-0123456789\n", 0644);
  EXPECT_FALSE(io::read_token_file(world, error));
  EXPECT_EQ(error, "the token file " + world +
                       " can be read or changed by every user of this machine (mode 0644); run chmod 600 " + world);
  EXPECT_FALSE(io::read_token_file(write("world-writable", "s3cret-token-0123456789\n", 0602), error));

  const auto empty = write("empty", "\n");
  EXPECT_FALSE(io::read_token_file(empty, error));
  EXPECT_EQ(error, "the token file " + empty + " is empty; put one line in it, the token (at least 16 characters)");

  EXPECT_FALSE(io::read_token_file(write("short", "short-secret\n"), error));
  EXPECT_EQ(error.find("short-secret"), std::string::npos) << error;
  EXPECT_NE(error.find("holds a token of 12 characters; give 16 to 1024"), std::string::npos) << error;

  EXPECT_FALSE(io::read_token_file(write("two-lines", "s3cret-token-0123456789\nsecond-line\n"), error));
  EXPECT_EQ(error.find("s3cret"), std::string::npos) << error;
  EXPECT_NE(error.find("one line of printable ASCII without blanks"), std::string::npos) << error;

  EXPECT_FALSE(io::read_token_file(write("long", std::string(1025, 'x')), error));
  EXPECT_NE(error.find("1025 characters"), std::string::npos) << error;

  EXPECT_FALSE(io::read_token_file(dir_.string(), error));
  EXPECT_NE(error.find("is not a regular file"), std::string::npos) << error;
}

}  // namespace
