// Log import, step 4: entries to placed lines. The log's direction marker says who
// wrote a line when it has one; otherwise the content and what came before do (a command,
// its echo, the answer it waits for, data after the prompt, URCs outside answers).

#include "at/text.hpp"
#include "at/urc_table.hpp"
#include "at/vocabulary.hpp"
#include "trace/import_detail.hpp"

namespace nt35e::trace::detail {
namespace {

class placer {
 public:
  explicit placer(std::vector<import_message>& msgs) : msgs_(msgs) {}

  placed run(const std::vector<entry>& entries) {
    for (const auto& e : entries) place(e);
    return std::move(out_);
  }

 private:
  enum class waiting {
    nothing,
    answer,
    data
  };

  void emit(const entry& e, line_role role, std::string text, std::string bytes = {}) {
    log_line l;
    l.line = e.line;
    l.role = role;
    l.text = std::move(text);
    l.bytes = std::move(bytes);
    out_.lines.push_back(std::move(l));
    out_.sources.push_back(&e);
  }

  void place(const entry& e) {
    if (e.comment_only || (e.text.empty() && !e.comment.empty())) {
      emit(e, line_role::comment, e.comment);
      return;
    }
    std::string text = e.text;
    from dir = e.dir;
    if (dir == from::unknown) {
      if (state_ == waiting::data && !at::final_result_of(text) && !at::is_command_line(text))
        dir = from::host;
      else if (at::is_command_line(text)) {
        if (!out_.lines.empty() && last_command_ >= 0 && module_since_command_ == 0 && host_since_command_ == 0 &&
            out_.lines[static_cast<std::size_t>(last_command_)].text == text)
          dir = from::module;  // the module's echo of the line above
        else
          dir = from::host;
      } else {
        dir = from::module;
      }
    }
    if (dir == from::host)
      place_host(e, text);
    else
      place_module(e, text, e.dir == from::unknown);
    if (!e.comment.empty()) emit(e, line_role::comment, e.comment);
  }

  void place_host(const entry& e, const std::string& text) {
    if (state_ == waiting::data || !at::is_command_line(text)) {
      if (state_ != waiting::data)
        msgs_.push_back({e.line, message_level::note,
                         "the host sent " + shown(text) + ", which is not an AT command; kept as data"});
      emit(e, line_role::data, text, e.bytes);
      last_data_ = static_cast<int>(out_.lines.size()) - 1;
      state_ = waiting::answer;
      module_since_command_ = 0;
      ++host_since_command_;
      return;
    }
    emit(e, line_role::command, text, e.bytes);
    last_command_ = static_cast<int>(out_.lines.size()) - 1;
    last_data_ = -1;
    command_name_ = at::command_name(text);
    state_ = waiting::answer;
    module_since_command_ = 0;
    host_since_command_ = 0;
  }

  void place_module(const entry& e, std::string text, bool by_content) {
    // The echo of the command (or of the data) just sent.
    if (module_since_command_ == 0 && last_command_ >= 0) {
      const auto& ref = out_.lines[static_cast<std::size_t>(last_data_ >= 0 ? last_data_ : last_command_)];
      if (host_since_command_ <= 1 && ref.text == text && ref.line <= e.line) {
        emit(e, line_role::echo, text, e.bytes);
        return;
      }
    }
    // "> payload": the prompt and what the host typed after it, on one line of a transcript.
    if (by_content && state_ == waiting::answer && text.size() > 2 && text.starts_with("> ") &&
        command_name_ == "+ECMTPUB") {
      emit(e, line_role::response, ">", {});
      ++module_since_command_;
      // The same entry (not a copy): the placed line keeps pointing at it for its time.
      place_host(e, std::string(at::trim_line(std::string_view(text).substr(2))));
      return;
    }
    if (state_ == waiting::answer) {
      // Any URC in the table, other modules' too: customer logs come from many modules.
      auto name = at::response_name(text);
      if (!name.empty() && name != command_name_ && at::find_urc(name)) {
        emit(e, line_role::urc, text, e.bytes);
        return;
      }
      emit(e, line_role::response, text, e.bytes);
      ++module_since_command_;
      if (at::final_result_of(text))
        state_ = waiting::nothing;
      else if (at::is_prompt(text))
        state_ = waiting::data;
      return;
    }
    if (state_ == waiting::data && at::final_result_of(text)) {
      emit(e, line_role::response, text, e.bytes);
      state_ = waiting::nothing;
      return;
    }
    if (by_content && !module_like(text)) {
      msgs_.push_back(
          {e.line, message_level::error,
           "cannot place " + shown(text) + ": it is not an AT command, and no command is waiting for an answer here"});
      return;
    }
    ++module_since_command_;
    emit(e, at::final_result_of(text) ? line_role::response : line_role::urc, text, e.bytes);
  }

  std::vector<import_message>& msgs_;
  placed out_;
  waiting state_ = waiting::nothing;
  int last_command_ = -1;
  int last_data_ = -1;
  std::string command_name_;
  int module_since_command_ = 0;
  int host_since_command_ = 0;
};

}  // namespace

placed place_entries(const std::vector<entry>& entries, std::vector<import_message>& msgs) {
  return placer(msgs).run(entries);
}

}  // namespace nt35e::trace::detail
