#pragma once
// Guided lessons (docs/web.md, lessons/*.json): a lesson names the scenario it plays and
// its steps; each step says what to do (English and Chinese), the command the learner must
// send and the module line that proves it worked. The tracker follows the lines of a live
// session (web::live_feed's line listener) and the oracle's findings, and says which step
// is next, what went wrong (an error result, a finding) and when the lesson is passed.
//
//   {"name": "first-contact", "order": 1, "title": {"en": "...", "zh": "..."}, "scenario": "default.json",
//    "steps": [{"say": {"en": "...", "zh": "..."}, "send": "AT", "see": "OK"}, ...],
//    "done": {"en": "...", "zh": "..."}}
//
// "send" and "see" are globs (* and ?), compared without regard to case with the host's
// command line and each module line. "expect" (optional) names expectations of the lesson's
// scenario that must be met too, as the oracle judges them: the lesson is passed when its
// steps are done and those are met, and failed, with the oracle's reason, when one is
// unmet. Pure but for reading files; no clock.
//
// Thread safety: none; the tracker runs on the modem's executor.

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "oracle/expectations.hpp"
#include "oracle/oracle.hpp"
#include "web/events.hpp"

namespace nt35e::web {

struct bilingual_text {
  std::string en, zh;
};

struct lesson_step {
  bilingual_text say;
  std::string send;  ///< glob of the command line the learner sends
  std::string see;   ///< glob of the module line that proves the step
};

struct lesson {
  std::string name;
  int order = 0;  ///< where the page lists it (then by name)
  bilingual_text title;
  std::string scenario;  ///< a file of the scenario library ("" plays the default world)
  std::vector<lesson_step> steps;
  std::vector<std::string> expect;  ///< names of the scenario's expectations to be met
  bilingual_text done;
};

/// Reads and checks a lesson file; an error sentence naming the file and the JSON path.
std::variant<lesson, std::string> load_lesson(const std::string& path);
/// Every lesson of `dir` (*.json, by order, then name); files that do not load are left out and their
/// sentences added to `errors`.
std::vector<lesson> load_lessons(const std::string& dir, std::vector<std::string>& errors);
/// The page's list: [{"name":..,"title":{"en":..,"zh":..},"scenario":..,"steps":N}, ...].
std::string lessons_json(const std::vector<lesson>& all);

class lesson_tracker {
 public:
  explicit lesson_tracker(lesson l) : lesson_(std::move(l)) {}

  /// A whole line of the session (live_feed's line listener).
  void on_line(side from, std::string_view text, line_kind kind);
  /// A finding of the oracle on the learner's driver.
  void on_finding(const oracle::finding& f);
  /// The scenario's expectations as the oracle judges them so far (the lesson's "expect").
  void on_expectations(const std::vector<oracle::expectation_result>& results);

  bool steps_done() const { return step_ >= lesson_.steps.size(); }
  bool passed() const { return steps_done() && expected_ == lesson_.expect.size() && !failed_; }
  bool failed() const { return failed_; }
  std::size_t step() const { return step_; }
  const lesson& current() const { return lesson_; }
  /// {"type":"lesson",...}: the lesson, its step, what to do, and what went wrong if anything.
  std::string message() const;

 private:
  lesson lesson_;
  std::size_t step_ = 0;
  bool sent_ = false;         ///< the step's command was sent; its proof may come
  std::size_t expected_ = 0;  ///< how many of lesson_.expect are met
  bool failed_ = false;       ///< one of them is unmet: the lesson cannot pass any more
  std::string waiting_for_;   ///< what the first expectation still open asks
  bilingual_text why_;        ///< what went wrong last ("" when nothing)
};

}  // namespace nt35e::web
