// Declared write-form parameters: syntax first (ERROR), then each value in order
// (+CME ERROR per declaration and profile), typed access, and the handler's own checks.

#include "commands/write_form.hpp"

#include <gtest/gtest.h>

namespace nt35e::commands {
namespace {

at::command write(std::string args) {
  at::command c;
  c.name = "+TEST";
  c.what = at::form::write;
  c.args = std::move(args);
  c.args_offset = 8;
  return c;
}

// The failure of parsing and checking `text` against `params`, or nothing.
std::optional<at::failure> problem(std::span<const param_spec> params, std::string text,
                                   const modem::profile& p = modem::profile{}, value_error e = ecmt_value_error) {
  auto parsed = parse_args(write(std::move(text)), p, params, e);
  if (auto* f = std::get_if<at::failure>(&parsed)) return *f;
  return std::get<args>(parsed).check_values();
}

constexpr std::int64_t levels[] = {0, 1, 4};
constexpr std::string_view kinds[] = {"IP", "IPV6"};
constexpr param_spec sample[] = {
    number("id").range(0, &modem::profile::max_ecmt_id),
    text("topic").max_length(&modem::profile::max_topic),
    number("level").optional().one_of(levels),
    text("kind").optional().one_of(kinds),
};

TEST(DeclaredArguments, SyntaxComesFirstAndInParameterOrder) {
  EXPECT_EQ(problem(sample, "9,\"t\",1,\"IP\",5")->reason, "syntax.too_many_params");
  EXPECT_EQ(problem(sample, "9,\"t\",1,\"IP\",5")->sentence, "at most 4 parameters are accepted, 5 were given");
  auto missing = problem(sample, "9");
  EXPECT_FALSE(missing->is_cme);
  EXPECT_EQ(missing->sentence, "parameter 2 is mandatory and was not given") << "not the range of parameter 1";
  EXPECT_EQ(problem(sample, "\"0\",\"t\"")->reason, "syntax.quoted_number");
  EXPECT_EQ(problem(sample, "0,\"t\",x")->sentence, "parameter 3 must be decimal digits, got \"x\" at byte 14");
  EXPECT_FALSE(problem(sample, "0,\"t\""));
  EXPECT_FALSE(problem(sample, "0,t,,\"IPV6\"")) << "an omitted optional parameter is not checked";
}

TEST(DeclaredArguments, ValuesInOrderWithDefaultSentences) {
  auto id = problem(sample, "5,\"\",7");
  EXPECT_TRUE(id->is_cme);
  EXPECT_EQ(id->code, 3);
  EXPECT_EQ(id->reason, "param.range");
  EXPECT_EQ(id->sentence, "parameter 1 (id) is 5, outside 0-4");
  EXPECT_EQ(problem(sample, "0,\"\",7")->sentence, "parameter 2 (topic) is present but empty");
  EXPECT_EQ(problem(sample, "0,\"" + std::string(256, 't') + "\"")->sentence,
            "parameter 2 (topic) has 256 characters, at most 255 are allowed");
  EXPECT_EQ(problem(sample, "0,t,7")->sentence, "parameter 3 (level) is 7; allowed: 0, 1, 4");
  EXPECT_EQ(problem(sample, "0,t,4,\"ip\"")->sentence, "parameter 4 (kind) is \"ip\"; allowed: IP, IPV6");
}

TEST(DeclaredArguments, BoundsComeFromTheProfile) {
  modem::profile small;
  small.max_ecmt_id = 0;
  small.max_topic = 3;
  EXPECT_EQ(problem(sample, "1,t", small)->sentence, "parameter 1 (id) is 1, outside 0-0");
  EXPECT_EQ(problem(sample, "0,abcd", small)->reason, "param.too_long");
  EXPECT_FALSE(problem(sample, "0,abc", small));
}

TEST(DeclaredArguments, SentencesAndErrorsCanBeDeclared) {
  constexpr param_spec params[] = {
      number("fun").range(0, 4).saying("{param} ({name}) must be {allowed}, got {value} {unknown}"),
      number("x").optional().range(1, 2).failing_with(value_error{50}),
      number("y").optional().range(1, 2).failing_with(value_error{0}),
      text("apn").optional().max_length(3).allow_empty().saying("the APN has more than {max} characters")};
  EXPECT_EQ(problem(params, "9")->sentence, "parameter 1 (fun) must be (0-4), got 9 {unknown}");
  auto x = problem(params, "1,3");
  EXPECT_EQ(x->code, 50);
  EXPECT_EQ(x->sentence, "parameter 2 (x) is 3, outside 1-2");
  auto y = problem(params, "1,1,3");
  EXPECT_FALSE(y->is_cme) << "cme 0 answers plain ERROR";
  EXPECT_EQ(y->reason, "param.range");
  EXPECT_FALSE(problem(params, "1,1,1,\"\"")) << "allow_empty";
  EXPECT_EQ(problem(params, "1,1,1,abcd")->sentence, "the APN has more than 3 characters");
}

TEST(DeclaredArguments, TheFormErrorHasAPerProfileOverride) {
  constexpr value_error differs{.cme = 50, .profile = "ec616s", .profile_cme = 3};
  constexpr param_spec params[] = {number("n").range(0, 2)};
  modem::profile ec616s;
  ec616s.name = "ec616s";
  EXPECT_EQ(problem(params, "3", modem::profile{}, differs)->code, 50);
  EXPECT_EQ(problem(params, "3", ec616s, differs)->code, 3);
  constexpr param_spec own[] = {number("n").range(0, 2).failing_with(value_error{4})};
  EXPECT_EQ(problem(own, "3", ec616s, differs)->code, 4) << "a parameter's own error wins";
}

TEST(DeclaredArguments, TheHandlerRunsDeferredChecksAndGetsTypedValues) {
  constexpr param_spec params[] = {number("flag").range(0, 1),
                                   text("topic").optional().max_length(2).checked_by_handler()};
  modem::profile p;
  auto parsed = parse_args(write("1,\"abc\""), p, params);
  const auto& a = std::get<args>(parsed);
  EXPECT_FALSE(a.check_values()) << "the topic is the handler's to check";
  EXPECT_EQ(a.check(1)->reason, "param.too_long");
  EXPECT_FALSE(a.check(5)) << "beyond the declaration: nothing to check";
  EXPECT_EQ(a.integer(0), 1);
  EXPECT_TRUE(a.has(1));
  EXPECT_EQ(a.text(1), "abc");
}

TEST(DeclaredArguments, ATailTakesTheRestOfTheLine) {
  constexpr param_spec params[] = {number("id"), tail("payload").optional()};
  modem::profile p;
  auto parsed = parse_args(write("0,a,\"b\",c"), p, params);
  const auto& a = std::get<args>(parsed);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(a.text(1), "a,\"b\",c");
  EXPECT_FALSE(std::get<args>(parse_args(write("0"), p, params)).has(1)) << "absent: data mode";
}

}  // namespace
}  // namespace nt35e::commands
