// What each oracle rule means (issue 15; the rules are simulator/oracle/rules.cpp): what
// the driver did and what happens on the real module in the field. The verdict quotes
// these texts, so each is written once, in English and Chinese, with its spec section.

#include <algorithm>
#include <array>

#include "explain/explanations.hpp"

namespace nt35e::explain {
namespace {

// Sorted by id (checked below).
constexpr std::array rule_rows{
    rule_entry{"NT35E-AT-BEFORE-ECRDY",
               {"a command line was sent before ECRDY: the module discards input while it boots, so the command is "
                "lost and its answer never comes",
                "在 ECRDY 之前发送了指令：模组启动期间会丢弃输入，这条指令丢失，永远等不到应答", "§4.2, §8"}},
    rule_entry{"NT35E-AT-LINE-ENDING",
               {"a command line ended with LF instead of CR: the module ends a line only at S3 (CR), so it keeps "
                "waiting and the command never runs",
                "指令行以 LF 而不是 CR 结尾：模组只认 S3（CR）作为行结束，会一直等待，指令不会执行", "§2.1"}},
    rule_entry{"NT35E-AT-LOWERCASE",
               {"the command is written in lower case: the NT35E accepts it, but the spec's examples, the module's "
                "manuals and other modules' parsers use upper case; write AT commands in upper case",
                "指令用小写书写：NT35E 可以接受，但规范示例、模组手册和其他模组的解析器都使用大写；请用大写书写 AT "
                "指令",
                "§2.1"}},
    rule_entry{"NT35E-AT-MALFORMED",
               {"the module rejected the command line with ERROR (unknown command, bad syntax, wrong form or too "
                "long): the driver sends something the module does not understand",
                "模组以 ERROR 拒绝了这条指令（未知指令、语法错误、形式不对或过长）：驱动发送了模组无法理解的内容",
                "§2.6, §2.7"}},
    rule_entry{"NT35E-AT-MULTI-ACTION",
               {"several action commands share one command line: the first failure stops the line and only one "
                "final result comes back, so the driver cannot tell which one failed; send one action per line",
                "一行里串接了多条动作类指令：第一个失败会终止整行且只返回一个最终结果，驱动无法判断是哪一条失败；"
                "请每行只发一条动作指令",
                "§2.1"}},
    rule_entry{"NT35E-AT-OVERLAP",
               {"a command line was sent before the previous one had its final result: the module buffers it (4096 "
                "bytes at most) and answers later, so a driver that does this soon pairs answers with the wrong "
                "command",
                "上一条指令还没有最终结果就发送了新指令：模组会缓存它（最多 4096 字节）稍后再应答，这样的驱动很快就会"
                "把应答对应到错误的指令上",
                "§2.1"}},
    rule_entry{
        "NT35E-AT-PAUSE",
        {"the next command line followed the final result by less than the V.250 pause (100 ms): slower "
         "firmware builds may still be busy and lose its first bytes",
         "在最终结果之后不到 V.250 规定的间隔（100 ms）就发送了下一条指令：较慢的固件版本可能仍在忙，会丢失开头的"
         "字节",
         "§2.1"}},
    rule_entry{
        "NT35E-AT-TYPOGRAPHIC",
        {"the command contains typographic quotes or full-width characters: only ASCII \" and , delimit "
         "parameters, so the module answers ERROR (an editor or IME replaced the ASCII characters)",
         "指令里有中文引号或全角字符：只有 ASCII 的 \" 和 , 才能分隔参数，模组会返回 ERROR（编辑器或输入法替换了 "
         "ASCII 字符）",
         "§2.6"}},
    rule_entry{"NT35E-DRV-IGNORED-ERROR",
               {"the driver carried on after ERROR or +CME ERROR as if the command had succeeded: the next command "
                "assumes a state the link never reached and fails too",
                "驱动在收到 ERROR 或 +CME ERROR 后仍当作成功继续：下一条指令假定了链路并未达到的状态，也会失败",
                "§2.7, §5.10"}},
    rule_entry{"NT35E-DRV-RETRY-STORM",
               {"the same failing command was repeated many times without a growing delay: in the field this drains "
                "the battery and the operator or broker may block the device; back off between tries",
                "同一条失败的指令在短时间内被反复重试且间隔没有增长：现场会耗尽电量，运营商或服务器可能封禁设备；"
                "请在重试之间逐步加大间隔",
                "§5.2, §5.4, §8"}},
    rule_entry{
        "NT35E-ECMT-CONN-BEFORE-OPEN",
        {"AT+ECMTCONN was sent before +ECMTOPEN:<id>,0 reported the link open: on a fast link it gets lucky, "
         "on a slow or failing one the CONNECT is dropped silently or refused with +CME ERROR: 3",
         "在 +ECMTOPEN:<id>,0 报告链路打开之前就发送了 AT+ECMTCONN：网络快时碰巧成功，网络慢或打开失败时 CONNECT "
         "会被静默丢弃或返回 +CME ERROR: 3",
         "§5.4, §5.10"}},
    rule_entry{"NT35E-ECMT-GAVE-UP-EARLY",
               {"the driver closed the link before the spec's worst-case time for the pending URC had passed: "
                "+ECMTOPEN may take 20 s and +ECMTCONN 10 s, so on a slow network a working link is torn down",
                "在挂起的上报按规范最长可能到达的时间之前驱动就关闭了链路：+ECMTOPEN 可能需要 20 秒、+ECMTCONN 需要 10 "
                "秒，网络慢时会拆掉本可以成功的链路",
                "§8"}},
    rule_entry{"NT35E-ECMT-INFLIGHT",
               {"more QoS 1/2 publishes are awaiting their +ECMTPUB than the in-flight limit: the module does not "
                "retransmit, so a burst on a slow link loses acknowledgements",
                "等待 +ECMTPUB 确认的 QoS 1/2 发布超过了在途上限：模组不会重发，慢速链路上的突发会丢失确认", "§5.8.3"}},
    rule_entry{"NT35E-ECMT-LIMITS",
               {"a topic or payload is over the module's limit (topic 255 characters, payload 1024 bytes): the "
                "module answers +CME ERROR: 3 or leaves data mode and the message is lost",
                "主题或负载超过了模组的限制（主题 255 个字符，负载 1024 字节）：模组返回 +CME ERROR: 3 或退出数据模式，"
                "消息丢失",
                "§5.6, §5.8"}},
    rule_entry{"NT35E-ECMT-NO-RECOVERY",
               {"after +ECMTSTAT:<id>,1 the link did not come back and the driver did nothing (no new ECMTOPEN or "
                "ECMTCONN) within the allowed time: the device stays offline in the field",
                "收到 +ECMTSTAT:<id>,1 后链路没有恢复，驱动在允许的时间内也没有重新 ECMTOPEN 或 ECMTCONN：设备在现场会"
                "一直离线",
                "§7.4"}},
    rule_entry{
        "NT35E-ECMT-NO-RESUBSCRIBE",
        {"after the reconnect following +ECMTSTAT the driver did not subscribe again: with a clean session "
         "the module does not restore subscriptions, so the device never receives commands again",
         "+ECMTSTAT 之后重新连接，驱动却没有重新订阅：清除会话时模组不会恢复订阅，设备再也收不到下发的指令", "§7.4"}},
    rule_entry{"NT35E-ECMT-URC-PENDING",
               {"a second ECMT command was sent on a link while the URC of the previous one was still pending: the "
                "module answers OK and nothing else, or refuses it, and the driver waits for a URC that never comes",
                "同一链路上一条指令的上报还没到就又发送了 ECMT 指令：模组只回 OK 不再上报或直接拒绝，驱动会等待一条"
                "永远不会来的上报",
                "§5.10, §6.2"}},
    rule_entry{"NT35E-ECMT-USE-BEFORE-CONN",
               {"AT+ECMTSUB, AT+ECMTUNS or AT+ECMTPUB was sent before +ECMTCONN:<id>,0,0 reported the MQTT session "
                "up: the module answers +CME ERROR: 3 and nothing is sent",
                "在 +ECMTCONN:<id>,0,0 报告 MQTT 会话建立之前就发送了 AT+ECMTSUB、AT+ECMTUNS 或 AT+ECMTPUB：模组返回 "
                "+CME ERROR: 3，什么也不会发送",
                "§5.6, §5.7, §5.8"}},
    rule_entry{"NT35E-NET-OPEN-UNREGISTERED",
               {"AT+ECMTOPEN was sent while the module was not registered (no PDP context): it answers +CME ERROR: 3; "
                "wait for +CEREG stat 1 or 5 before opening",
                "模组未注册（没有 PDP 上下文）时发送了 AT+ECMTOPEN：会返回 +CME ERROR: 3；请等到 +CEREG 状态为 1 或 5 "
                "再打开链路",
                "§4.1, §5.2"}},
    rule_entry{
        "NT35E-SYS-REBOOT-LOOP",
        {"the driver rebooted the module again and again (AT+ECRST, AT+CFUN=1,1) with no failure in between: "
         "each reboot drops every link and costs seconds of registration, and fixes nothing",
         "驱动在没有任何故障的情况下反复重启模组（AT+ECRST、AT+CFUN=1,1）：每次重启都会断开所有链路并花费数秒重新"
         "注册，却解决不了问题",
         "§4.2"}},
};

constexpr bool sorted_by_id() {
  for (std::size_t i = 1; i < rule_rows.size(); ++i)
    if (!(rule_rows[i - 1].id < rule_rows[i].id)) return false;
  return true;
}
static_assert(sorted_by_id(), "rule rows are sorted by id");

}  // namespace

std::span<const rule_entry> rule_entries() { return rule_rows; }

const explanation* find_rule(std::string_view id) {
  auto it = std::lower_bound(rule_rows.begin(), rule_rows.end(), id,
                             [](const rule_entry& e, std::string_view key) { return e.id < key; });
  return it != rule_rows.end() && it->id == id ? &it->text : nullptr;
}

}  // namespace nt35e::explain
