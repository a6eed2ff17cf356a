#include "web/lesson.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "at/text.hpp"
#include "at/vocabulary.hpp"
#include "explain/explainer.hpp"
#include "explain/explanations.hpp"

namespace nt35e::web {

using nlohmann::json;

namespace {

struct bad_lesson {
  std::string sentence;
};

bilingual_text texts(const json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("en") || !j["en"].is_string() || !j.contains("zh") || !j["zh"].is_string())
    throw bad_lesson{where + " must be an object with the strings \"en\" and \"zh\""};
  return {j["en"].get<std::string>(), j["zh"].get<std::string>()};
}

std::string text(const json& j, const char* key, const std::string& where, bool required) {
  if (!j.contains(key)) {
    if (required) throw bad_lesson{where + "." + key + " is missing"};
    return {};
  }
  if (!j[key].is_string() || j[key].get<std::string>().empty())
    throw bad_lesson{where + "." + key + " must be a non-empty string"};
  return j[key].get<std::string>();
}

bool matches(const std::string& glob, std::string_view line) {
  return at::glob_match(at::to_upper(glob), at::to_upper(at::trim(line)));
}

}  // namespace

std::variant<lesson, std::string> load_lesson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "cannot read the lesson " + path;
  std::stringstream s;
  s << in.rdbuf();
  const auto j = json::parse(s.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return path + ": not a JSON object";
  try {
    lesson l;
    for (const auto& [key, value] : j.items())
      if (key != "name" && key != "order" && key != "title" && key != "scenario" && key != "steps" && key != "done" &&
          key != "expect" && key != "$comment")
        throw bad_lesson{"$." + key + " is not a lesson field (name, order, title, scenario, steps, expect, done)"};
    l.name = text(j, "name", "$", true);
    if (j.contains("order")) {
      if (!j["order"].is_number_integer()) throw bad_lesson{"$.order must be a whole number"};
      l.order = j["order"].get<int>();
    }
    if (!j.contains("title")) throw bad_lesson{"$.title is missing"};
    l.title = texts(j["title"], "$.title");
    l.scenario = text(j, "scenario", "$", false);
    if (!j.contains("steps") || !j["steps"].is_array() || j["steps"].empty())
      throw bad_lesson{"$.steps must be a non-empty array"};
    for (std::size_t i = 0; i < j["steps"].size(); ++i) {
      const auto& st = j["steps"][i];
      const auto where = "$.steps[" + std::to_string(i) + "]";
      if (!st.is_object()) throw bad_lesson{where + " must be an object"};
      if (!st.contains("say")) throw bad_lesson{where + ".say is missing"};
      l.steps.push_back(
          {texts(st["say"], where + ".say"), text(st, "send", where, true), text(st, "see", where, true)});
    }
    if (j.contains("expect")) {
      const auto& x = j["expect"];
      if (!x.is_array()) throw bad_lesson{"$.expect must be an array of expectation names"};
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!x[i].is_string() || x[i].get<std::string>().empty())
          throw bad_lesson{"$.expect[" + std::to_string(i) + "] must be the name of an expectation of the scenario"};
        l.expect.push_back(x[i].get<std::string>());
      }
    }
    if (!j.contains("done")) throw bad_lesson{"$.done is missing"};
    l.done = texts(j["done"], "$.done");
    return l;
  } catch (const bad_lesson& e) {
    return path + ": " + e.sentence;
  }
}

std::vector<lesson> load_lessons(const std::string& dir, std::vector<std::string>& errors) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<lesson> out;
  for (const auto& f : files) {
    auto loaded = load_lesson(f);
    if (auto* l = std::get_if<lesson>(&loaded))
      out.push_back(std::move(*l));
    else
      errors.push_back(std::get<std::string>(loaded));
  }
  std::stable_sort(out.begin(), out.end(), [](const lesson& a, const lesson& b) { return a.order < b.order; });
  return out;
}

std::string lessons_json(const std::vector<lesson>& all) {
  json list = json::array();
  for (const auto& l : all)
    list.push_back(json{{"name", l.name},
                        {"title", {{"en", l.title.en}, {"zh", l.title.zh}}},
                        {"scenario", l.scenario},
                        {"steps", l.steps.size()}});
  return list.dump();
}

void lesson_tracker::on_line(side from, std::string_view line, line_kind kind) {
  if (steps_done() || failed_) return;
  const auto& step = lesson_.steps[step_];
  if (from == side::dte) {
    if (kind != line_kind::command) return;
    sent_ = matches(step.send, line);
    if (!sent_) {
      why_ = {"this step asks for " + step.send + "; you sent " + std::string(at::trim(line)),
              "这一步需要发送 " + step.send + "；你发送的是 " + std::string(at::trim(line))};
    } else {
      why_ = {};
    }
    return;
  }
  if (!sent_ || kind == line_kind::echo) return;
  if (matches(step.see, line)) {
    ++step_;
    sent_ = false;
    why_ = {};
    return;
  }
  if (kind == line_kind::result && at::final_result_of(line) && at::is_failure(*at::final_result_of(line))) {
    // The module refused: say what that result means, and let the learner try again.
    const auto en = explain::urc(line, explain::language::en, at::response_style::compact);
    const auto zh = explain::urc(line, explain::language::zh, at::response_style::compact);
    const auto* r = explain::find_result(*at::final_result_of(line));
    why_ = {std::string(line) + ": " + (en.empty() ? std::string(r->en) : en),
            std::string(line) + "：" + (zh.empty() ? std::string(r->zh) : zh)};
    sent_ = false;
  }
}

void lesson_tracker::on_finding(const oracle::finding& f) {
  if (passed() || failed_) return;
  const auto* e = explain::find_rule(f.rule);
  why_ = {f.rule + " (" + f.spec + "): " + f.detail + (e ? " — " + std::string(e->en) : ""),
          f.rule + "（" + f.spec + "）：" + (e ? std::string(e->zh) : f.detail)};
}

void lesson_tracker::on_expectations(const std::vector<oracle::expectation_result>& results) {
  if (failed_ || lesson_.expect.empty()) return;
  std::size_t met = 0;
  waiting_for_.clear();
  for (const auto& name : lesson_.expect) {
    const auto it = std::find_if(results.begin(), results.end(), [&](const auto& r) { return r.name == name; });
    if (it == results.end()) continue;  // the scenario has no such expectation: main refuses the lesson
    if (it->result == oracle::outcome::met) {
      ++met;
    } else if (it->result == oracle::outcome::unmet) {
      failed_ = true;
      why_ = {"the scenario's expectation \"" + name + "\" is unmet: " + it->detail + " (it asks: " + it->asks + ")",
              "场景期望「" + name + "」未满足：" + it->detail};
      return;
    } else if (waiting_for_.empty()) {
      waiting_for_ = it->asks;
    }
  }
  expected_ = met;
}

std::string lesson_tracker::message() const {
  json j{{"type", "lesson"},
         {"name", lesson_.name},
         {"title", {{"en", lesson_.title.en}, {"zh", lesson_.title.zh}}},
         {"step", step_},
         {"steps", lesson_.steps.size()},
         {"status", failed_ ? "failed" : passed() ? "passed" : "running"}};
  if (steps_done() && !passed()) {
    // The steps are done; the scenario's duty is still open (or broken): say which.
    const auto asks = waiting_for_.empty() ? std::string("what the scenario expects") : waiting_for_;
    j["say"] = {{"en", failed_ ? "Not passed." : "Every step is done; the scenario still expects this: " + asks},
                {"zh", failed_ ? "未通过。" : "所有步骤已完成；场景还期望：" + asks}};
  } else {
    const auto& say = passed() ? lesson_.done : lesson_.steps[step_].say;
    j["say"] = {{"en", say.en}, {"zh", say.zh}};
  }
  j["why"] = {{"en", why_.en}, {"zh", why_.zh}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace nt35e::web
