// What the final results say (spec §2.3, §2.7): the result codes, the CME and CMS
// numbers with their AT+CMEE=2 texts, the +SOCKET ERROR texts of AT+ECPING, and the
// hints given for the failure reasons newcomers meet most (§2.8).

#include <array>

#include "explain/explanations.hpp"

namespace nt35e::explain {
namespace {

using enum at::final_result;

// In at::final_result order (checked below), so find_result indexes it.
constexpr std::array result_rows{
    result_entry{ok, {"the command succeeded", "指令执行成功", "§2.3"}},
    result_entry{connect,
                 {"a data connection started (a V.250 result the ECMT commands do not use)",
                  "数据连接已建立（V.250 结果码，ECMT 指令用不到）", "§2.3"}},
    result_entry{ring,
                 {"an incoming call; the NT35E has no voice calls, so it never rings",
                  "来电振铃；NT35E 不支持语音通话，不会出现", "§4.4.11"}},
    result_entry{no_carrier,
                 {"the connection ended or could not be set up (a call result; the NT35E has no calls)",
                  "连接已断开或无法建立（通话类结果码，NT35E 不支持通话）", "§4.4.11"}},
    result_entry{error,
                 {"the command failed: unknown command, syntax error, line too long or guard timer; AT+CMEE does not "
                  "change it",
                  "指令失败：未知指令、语法错误、行太长或超时保护；不受 AT+CMEE 影响", "§2.7"}},
    result_entry{no_dialtone,
                 {"no dial tone (a call result; the NT35E has no calls)",
                  "没有拨号音（通话类结果码，NT35E 不支持通话）", "§4.4.11"}},
    result_entry{busy,
                 {"the called party is busy (a call result; the NT35E has no calls)",
                  "对方忙（通话类结果码，NT35E 不支持通话）", "§4.4.11"}},
    result_entry{no_answer,
                 {"the called party did not answer (a call result; the NT35E has no calls)",
                  "对方无应答（通话类结果码，NT35E 不支持通话）", "§4.4.11"}},
    result_entry{cme_error,
                 {"the command was refused while it ran (range, state, network or SIM); AT+CMEE decides whether a "
                  "number, a text or a plain ERROR is shown",
                  "指令执行时被拒绝（参数范围、状态、网络或 SIM 卡问题）；显示数字、文字还是只显示 ERROR 由 AT+CMEE "
                  "决定",
                  "§2.7"}},
    result_entry{cms_error,
                 {"an SMS command was refused (AT+CMGF answers 303); shown per AT+CMEE like +CME ERROR",
                  "短信类指令被拒绝（AT+CMGF 会返回 303）；与 +CME ERROR 一样按 AT+CMEE 显示", "§2.7, §4.4.8"}},
    result_entry{socket_error,
                 {"AT+ECPING failed; the text says why and AT+CMEE does not change it",
                  "AT+ECPING 出错；后面的文字说明原因，不受 AT+CMEE 影响", "§2.7, §4.3"}},
};

constexpr bool rows_follow_enum() {
  for (std::size_t i = 0; i < result_rows.size(); ++i)
    if (static_cast<std::size_t>(result_rows[i].result) != i) return false;
  return true;
}
static_assert(rows_follow_enum(), "result rows are indexed by at::final_result");

// The spec §2.7 list, ascending (checked below).
constexpr std::array cme_rows{
    error_entry{3,
                {"not allowed now: every error of an ECMT command is 3 (range, length, state); for other commands "
                 "the module's state does not allow it, or AT+CCLK refused the time",
                 "当前不允许该操作：ECMT 指令的所有错误都是 3（范围、长度、状态）；其他指令表示模组当前状态不允许，或 "
                 "AT+CCLK 拒绝了所设时间",
                 "§2.7"}},
    error_entry{4,
                {"the command does not support this form (e.g. AT+CFUN or ATE without a value, ATE?); also AT+CMEE "
                 "out of range and an AT+CGDCONT cid outside 0-10",
                 "该指令不支持这种形式（如不带参数的 AT+CFUN 或 ATE、ATE?）；AT+CMEE 取值超范围、AT+CGDCONT 的 cid "
                 "不在 0-10 也回 4",
                 "§2.7, §2.6"}},
    error_entry{10, {"no SIM card", "没有插 SIM 卡", "§2.7"}},
    error_entry{11, {"the SIM asks for its PIN", "SIM 卡需要输入 PIN 码", "§2.7"}},
    error_entry{12, {"the SIM is blocked and asks for its PUK", "SIM 卡已锁，需要输入 PUK 码", "§2.7"}},
    error_entry{13, {"the SIM card failed", "SIM 卡故障", "§2.7"}},
    error_entry{14, {"the SIM is busy; try again a little later", "SIM 卡忙，稍后重试", "§2.7"}},
    error_entry{30,
                {"no network service: not registered, or the chosen operator is not there",
                 "无网络服务：没有注册上，或所选运营商不存在", "§2.7, §4.4.4"}},
    error_entry{50,
                {"a parameter is out of range or badly formed (27.007 and basic commands)",
                 "参数超出范围或格式错误（27.007 指令和基本指令）", "§2.7, §2.6"}},
    error_entry{
        100,
        {"unknown error (AT+CMEE without parameters gives it)", "未知错误（不带参数的 AT+CMEE 会返回它）", "§2.7"}},
    error_entry{127,
                {"the APN is missing or the network does not know it (AT+CGACT on a cid other than 1)",
                 "APN 缺失或网络不认识（如对 cid 1 以外的上下文执行 AT+CGACT）", "§2.7, §4.4.5"}},
};

constexpr std::array cms_rows{
    error_entry{303,
                {"the SMS command does not take this form or value (AT+CMGF=2, AT+CMGF alone)",
                 "短信指令不支持这种形式或取值（如 AT+CMGF=2、不带参数的 AT+CMGF）", "§2.7, §4.4.8"}},
};

template <std::size_t n>
constexpr bool ascending(const std::array<error_entry, n>& rows) {
  for (std::size_t i = 1; i < rows.size(); ++i)
    if (rows[i].code <= rows[i - 1].code) return false;
  return true;
}
static_assert(ascending(cme_rows) && ascending(cms_rows), "error rows must stay in ascending order");

constexpr std::array socket_error_rows{
    socket_error_entry{"PARAMETER ERROR",
                       {"a parameter of AT+ECPING is out of range, or the host is a number other than 0",
                        "AT+ECPING 的参数超出范围，或主机位置填了 0 以外的数字", "§4.3"}},
    socket_error_entry{
        "UNKNOWN",
        {"the ping could not start (no PDP context, for one)", "ping 没能启动（例如 PDP 上下文未激活）", "§4.3"}},
    socket_error_entry{"OPERATION NO SUPPORT",
                       {"AT+ECPING has no read or execute form, or the stop was refused",
                        "AT+ECPING 不支持查询和执行形式，或停止请求被拒绝", "§4.3"}},
};

// Texts several rows share.
constexpr explanation wait_connack{"hint: wait for +ECMTCONN:<id>,0,0 before subscribing or publishing",
                                   "提示：必须先收到 +ECMTCONN:<id>,0,0 再订阅或发布", "§5.10"};

// Sorted by reason (checked below); the rows of one reason are tried in order, the
// specific ones first.
constexpr std::array hint_rows{
    hint_entry{"form.not_supported",
               "",
               "",
               {"hint: this form is not supported (CME 4); the test form AT<command>=? shows what it takes, and a "
                "setting needs its value (AT+CFUN=1, ATE0, not AT+CFUN or ATE)",
                "提示：不支持这种形式（CME 4）；用测试形式 AT<指令>=? 查看取值，设置类指令要带参数（如 AT+CFUN=1、"
                "ATE0，而不是 AT+CFUN、ATE）",
                "§2.6, §2.7"}},
    hint_entry{"guard.expired",
               "",
               "data mode",
               {"hint: data mode was left open: end the payload with Ctrl-Z (0x1A), or ESC to cancel",
                "提示：数据模式没有结束：发送负载后要发 Ctrl-Z (0x1A)，或 ESC 取消", "§2.9, §5.8.2"}},
    hint_entry{"guard.expired",
               "",
               "",
               {"hint: the command passed its guard timer (5 s; AT+ECMTPUB 20 s, AT+CFUN and AT+CPIN 25 s, "
                "AT+CGATT and AT+CGACT 70 s, AT+COPS 305 s) and was abandoned with ERROR; retry it",
                "提示：指令超过了保护定时器（一般 5 秒；AT+ECMTPUB 20 秒，AT+CFUN、AT+CPIN 25 秒，AT+CGATT、"
                "AT+CGACT 70 秒，AT+COPS 305 秒），被放弃并回 ERROR；请重试",
                "§2.9"}},
    hint_entry{"net.no_pdp",
               "",
               "",
               {"hint: the network is not registered yet; wait for +CEREG:1 or check AT+CGATT?",
                "提示：网络还没注册好，等 +CEREG:1 或用 AT+CGATT? 确认", "§4.1"}},
    hint_entry{
        "param.locked",
        "+COPS",
        "",
        {"hint: the NT35E (reference-AT build) reports the PLMN only in numeric format 2; read AT+COPS? "
         "without AT+COPS=3",
         "提示：NT35E（参考 AT 版本）只用数字格式 2 报告 PLMN；不用发 AT+COPS=3，直接用 AT+COPS? 查询", "§4.4.4"}},
    hint_entry{"param.range",
               "",
               "tcpconnectID",
               {"hint: the id is out of range (0-4 on the NT35E)", "提示：连接号超出范围（NT35E 为 0-4）", "§5.0"}},
    hint_entry{"state.not_allowed",
               "+ECMTCONN",
               "",
               {"hint: wait for +ECMTOPEN:<id>,0 before AT+ECMTCONN",
                "提示：必须先收到 +ECMTOPEN:<id>,0 再发 AT+ECMTCONN", "§5.10"}},
    hint_entry{"state.not_allowed", "+ECMTPUB", "", wait_connack},
    hint_entry{"state.not_allowed", "+ECMTSUB", "", wait_connack},
    hint_entry{"state.not_allowed", "+ECMTUNS", "", wait_connack},
    hint_entry{"state.not_allowed",
               "",
               "",
               {"hint: AT+ECMTCONN? shows the state of every id", "提示：用 AT+ECMTCONN? 查看各连接状态", "§5.4"}},
    hint_entry{"syntax.fullwidth_punct",
               "",
               "",
               {"hint: a full-width comma or quote (， ＂) is not a separator; switch the keyboard to ASCII",
                "提示：用了全角标点（， ＂），请切换到英文输入法后重新输入", "§2.6"}},
    hint_entry{"syntax.typographic_quote",
               "",
               "",
               {"hint: a typographic quote (“ ” ‘ ’) is not a delimiter; type the ASCII quote \" (turn off smart "
                "quotes)",
                "提示：这里用了中文/排版引号（“ ” ‘ ’），模组只认英文双引号 \"；请在编辑器里关闭智能引号", "§2.6"}},
    hint_entry{"syntax.unknown_command",
               "+CGREG",
               "",
               {"hint: this firmware has no AT+CGREG; AT+CEREG? reports the same registration state",
                "提示：该固件没有 AT+CGREG；用 AT+CEREG? 查询同一个注册状态", "§4.4.2"}},
    hint_entry{"syntax.unknown_command",
               "",
               "not implemented by this firmware",
               {"hint: hosts often probe this command, but the firmware does not have it: every form answers ERROR",
                "提示：主机常会探测这条指令，但固件里没有它：任何形式都回 ERROR", "§4.4.11"}},
    hint_entry{"syntax.unknown_command",
               "",
               "",
               {"hint: this module's MQTT commands are the AT+ECMT… family", "提示：该模组的 MQTT 指令是 AT+ECMT… 系列",
                "§5.9"}},
};

constexpr bool sorted_by_reason() {
  for (std::size_t i = 1; i < hint_rows.size(); ++i)
    if (hint_rows[i].reason < hint_rows[i - 1].reason) return false;
  return true;
}
static_assert(sorted_by_reason(), "hint rows must stay sorted by reason");

}  // namespace

std::span<const result_entry> result_entries() { return result_rows; }
std::span<const error_entry> cme_entries() { return cme_rows; }
std::span<const error_entry> cms_entries() { return cms_rows; }
std::span<const socket_error_entry> socket_error_entries() { return socket_error_rows; }
std::span<const hint_entry> hint_entries() { return hint_rows; }

}  // namespace nt35e::explain
