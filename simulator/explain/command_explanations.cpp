// What each command does, by name and form (spec §4, §4.4, §5). The texts explain
// the command, not the module's answer: a form the module refuses still reads well.

#include <array>

#include "explain/explanations.hpp"

namespace nt35e::explain {
namespace {

constexpr form_set execute = form_bit(at::form::execute);
constexpr form_set read = form_bit(at::form::read);
constexpr form_set write = form_bit(at::form::write);
constexpr form_set test = form_bit(at::form::test);

// Texts several rows share.
constexpr explanation basic_setting{"a basic setting or identification", "基本设置或识别信息", "§4"};
constexpr explanation reads_imei{"reads the IMEI", "读取 IMEI", "§4"};

// Sorted by name (checked below); the forms of one name do not overlap (unit test).
constexpr std::array command_rows{
    command_entry{"", execute, basic_setting},
    command_entry{"&F",
                  execute | write,
                  {"restores factory settings: echo, verbose and quiet mode, AT+CMEE, the registration report modes "
                   "and S3-S5 go back to the profile's values",
                   "恢复出厂设置：回显、结果码格式、静默模式、AT+CMEE、各注册上报模式和 S3-S5 恢复为默认值", "§4"}},
    // Test forms share one text: the answer lists the accepted values.
    command_entry{"*", test, {"asks which parameter values the command accepts", "查询该指令支持的参数范围", "§2.6"}},
    command_entry{"+CCLK",
                  read,
                  {"reads the module's clock: local time with a four-digit year, the time zone in quarter hours",
                   "读取模组时钟：本地时间，年份四位，时区以 15 分钟为单位", "§4"}},
    command_entry{"+CCLK",
                  write,
                  {"sets the clock; the NT35E refuses it (CME 3) while automatic time-zone update is on, which is "
                   "the default",
                   "设置时钟；自动更新时区打开时（默认打开）NT35E 会拒绝（CME 3）", "§4"}},
    command_entry{"+CEDRXS",
                  read,
                  {"reads the eDRX setting: AcT-type and the requested eDRX value",
                   "查询 eDRX 设置：接入技术类型和请求的 eDRX 周期值", "§4.4.10"}},
    command_entry{"+CEDRXS",
                  write,
                  {"sets eDRX: mode 0 off, 1 on, 2 on with +CEDRXP reports, 3 off and back to defaults; then the "
                   "AcT-type and a 4-bit value such as \"0101\"",
                   "设置 eDRX：模式 0 关闭，1 打开，2 打开并上报 +CEDRXP，3 关闭并恢复默认；后面是接入技术类型和 4 "
                   "位周期值（如 \"0101\"）",
                   "§4.4.10"}},
    command_entry{
        "+CEER",
        execute,
        {"reports why the last registration was rejected (EMM cause, e.g. EMM_CAUSE_PLMN_NOT_ALLOWED); "
         "just OK when nothing was rejected",
         "报告最近一次注册被拒的原因（EMM 原因值，如 EMM_CAUSE_PLMN_NOT_ALLOWED）；没有被拒过时只回 OK", "§4.4.6"}},
    command_entry{"+CEREG",
                  execute | read | write,
                  {"network registration (+CEREG:<n>,<stat>, stat 1 = registered)",
                   "网络注册状态（+CEREG:<n>,<stat>，stat 1 = 已注册）", "§4.4.3"}},
    command_entry{"+CESQ",
                  execute,
                  {"extended signal quality (rsrq 0-34, rsrp 0-97, 255 = unknown)",
                   "扩展信号质量（rsrq 0-34，rsrp 0-97，255 = 未知）", "§4"}},
    command_entry{"+CFUN",
                  execute | read | write,
                  {"radio function: 1 on, 0/4 off (drops every MQTT link); AT+CFUN=1,1 reboots the module",
                   "射频功能：1 开，0/4 关（会断开所有 MQTT 链路）；AT+CFUN=1,1 重启模组", "§4.1"}},
    command_entry{"+CGACT",
                  read,
                  {"lists the defined PDP contexts and whether each is active (+CGACT:<cid>,<state>)",
                   "列出已定义的 PDP 上下文及其激活状态（+CGACT:<cid>,<state>）", "§4.4.5"}},
    command_entry{"+CGACT",
                  write,
                  {"activates (1) or deactivates (0) a PDP context; deactivating cid 1 cuts the data path of every "
                   "MQTT link",
                   "激活（1）或去激活（0）PDP 上下文；去激活 cid 1 会断掉所有 MQTT 链路的数据通道", "§4.4.5"}},
    command_entry{"+CGATT",
                  execute | read | write,
                  {"packet attach (1 = attached, data can flow)", "分组域附着状态（1 = 已附着，可以上网）", "§4.1"}},
    command_entry{"+CGDCONT",
                  read,
                  {"lists the defined PDP contexts: cid, type, APN and address",
                   "列出已定义的 PDP 上下文：cid、类型、APN 和地址", "§4"}},
    command_entry{"+CGDCONT",
                  write,
                  {"defines a PDP context (cid 0-10, type, APN), used at the next attach; with the cid alone it "
                   "deletes it",
                   "定义 PDP 上下文（cid 0-10、类型、APN），下次附着时生效；只带 cid 时删除该上下文", "§4"}},
    command_entry{"+CGMI", execute, {"reads the manufacturer", "读取制造商名称", "§4"}},
    command_entry{"+CGMM", execute, {"reads the model", "读取模组型号", "§4"}},
    command_entry{"+CGMR", execute, {"reads the firmware revision", "读取固件版本号", "§4"}},
    command_entry{
        "+CGPADDR",
        execute | write,
        {"reads the IP address of the PDP context (cid 1)", "查询 PDP 上下文（cid 1）分配到的 IP 地址", "§4"}},
    command_entry{"+CGREG",
                  read,
                  {"GPRS registration (+CGREG:<n>,<stat>, stat 1 = registered)",
                   "GPRS 注册状态（+CGREG:<n>,<stat>，stat 1 = 已注册）", "§4.4.2"}},
    command_entry{"+CGREG",
                  write,
                  {"sets how +CGREG reports: 0 off, 1 the state, 2 the state and the cell",
                   "设置 +CGREG 主动上报方式：0 关闭，1 只报状态，2 状态加小区信息", "§4.4.2"}},
    command_entry{"+CGSN", execute | read | write, reads_imei},
    command_entry{"+CIMI", execute, {"reads the IMSI of the SIM", "读取 SIM 卡的 IMSI", "§4"}},
    command_entry{"+CMEE", execute | read | write, basic_setting},
    command_entry{
        "+CMGF", read, {"reads the SMS format (0 = PDU, 1 = text)", "查询短信格式（0 = PDU，1 = 文本）", "§4.4.8"}},
    command_entry{"+CMGF",
                  write,
                  {"sets the SMS format: 0 = PDU, 1 = text (kept across reboots)",
                   "设置短信格式：0 = PDU，1 = 文本（保存在 NVM 中，重启后仍有效）", "§4.4.8"}},
    command_entry{"+CNUM",
                  execute,
                  {"reads the subscriber number stored on the SIM; just OK when there is none",
                   "读取 SIM 卡里保存的本机号码；没有号码时只回 OK", "§4.4.7"}},
    command_entry{"+COPS",
                  read,
                  {"shows the operator: mode, format and PLMN (+COPS:0,2,\"46000\",7)",
                   "查询当前运营商：模式、格式和 PLMN（如 +COPS:0,2,\"46000\",7）", "§4.4.4"}},
    command_entry{"+COPS",
                  write,
                  {"selects the operator: 0 automatic, 1 manual (numeric PLMN), 2 deregister; modes 3 and 4 are "
                   "locked on the NT35E",
                   "选择运营商：0 自动，1 手动（数字格式的 PLMN），2 注销；NT35E 锁定了模式 3 和 4", "§4.4.4"}},
    command_entry{"+CPIN",
                  read,
                  {"SIM state (+CPIN:READY = usable; CME 10 = no SIM)",
                   "SIM 卡状态（+CPIN:READY 表示可用，CME 10 表示没插卡）", "§4"}},
    command_entry{"+CPSMS",
                  read,
                  {"reads the PSM setting: mode, requested periodic TAU and Active-Time",
                   "查询 PSM 设置：模式、请求的周期 TAU 和 Active-Time", "§4.4.9"}},
    command_entry{"+CPSMS",
                  write,
                  {"sets PSM: mode 0/1/2, then the periodic TAU and the Active-Time as 8-bit strings (the two GPRS "
                   "timers stay empty); the simulated module never sleeps",
                   "设置 PSM：模式 0/1/2，之后是周期 TAU 和 Active-Time（8 位二进制字符串，中间两个 GPRS "
                   "定时器留空）；模拟的模组不会真正休眠",
                   "§4.4.9"}},
    command_entry{"+CREG",
                  read,
                  {"network registration (+CREG:<n>,<stat>, stat 1 = registered)",
                   "网络注册状态（+CREG:<n>,<stat>，stat 1 = 已注册）", "§4.4.1"}},
    command_entry{"+CREG",
                  write,
                  {"sets how +CREG reports: 0 off, 1 the state, 2 with the cell, 3 with the cell and the reject cause",
                   "设置 +CREG 主动上报方式：0 关闭，1 只报状态，2 加小区信息，3 再加拒绝原因", "§4.4.1"}},
    command_entry{"+CSQ",
                  execute | read | write,
                  {"signal quality (rssi 0-31, 99 = unknown)", "信号质量（rssi 0-31，99 = 未知）", "§4"}},
    command_entry{"+ECICCID", execute, {"reads the ICCID of the SIM", "读取 SIM 卡的 ICCID", "§4"}},
    command_entry{"+ECMTCFG",
                  write,
                  {"sets or queries one option of an MQTT context (used by the next CONNECT)",
                   "设置或查询 MQTT 连接的一个选项（下次 CONNECT 生效）", "§5.1"}},
    command_entry{"+ECMTCLOSE", write, {"closes the network link of id {1}", "关闭连接 {1} 的网络链路", "§5.3"}},
    command_entry{"+ECMTCONN",
                  read,
                  {"lists the state of every MQTT id (1 not connected, 2 connecting, 3 connected, 4 disconnected)",
                   "列出每个 MQTT 连接的状态（1 未连接，2 正在连接，3 已连接，4 已断开）", "§5.4"}},
    command_entry{"+ECMTCONN",
                  write,
                  {"sends the MQTT CONNECT on id {1}; the broker's answer comes as +ECMTCONN:{1},0,<code> (0 = "
                   "accepted)",
                   "在连接 {1} 上发送 MQTT CONNECT；结果以 +ECMTCONN:{1},0,<返回码> 上报（0 为成功）", "§5.4"}},
    command_entry{"+ECMTDISC",
                  write,
                  {"sends MQTT DISCONNECT and deletes id {1}", "发送 MQTT DISCONNECT 并删除连接 {1}", "§5.5"}},
    command_entry{"+ECMTOPEN",
                  read,
                  {"lists the host and port stored for each MQTT id", "列出每个 MQTT 连接保存的主机名和端口", "§5.2"}},
    command_entry{"+ECMTOPEN",
                  write,
                  {"opens the TCP link of MQTT id {1}; the result comes later as +ECMTOPEN:{1},<result>",
                   "打开 MQTT 连接 {1} 的 TCP 链路；结果稍后以 +ECMTOPEN:{1},<结果> 上报", "§5.2"}},
    command_entry{"+ECMTPUB",
                  write,
                  {"publishes one message; without a payload it enters data mode: send the data after \"> \" and "
                   "end it with Ctrl-Z (0x1A), or cancel with ESC",
                   "发布一条消息；省略负载时进入数据模式：看到 > 后发送数据，以 Ctrl-Z (0x1A) 结束，ESC 取消", "§5.8"}},
    command_entry{
        "+ECMTSUB",
        write,
        {"subscribes to one topic; the SUBACK comes as +ECMTSUB", "订阅一个主题；确认以 +ECMTSUB 上报", "§5.6"}},
    command_entry{"+ECMTUNS", write, {"unsubscribes from one topic", "取消订阅一个主题", "§5.7"}},
    command_entry{"+ECPING",
                  execute | read,
                  {"has no such form: the module answers +SOCKET ERROR: OPERATION NO SUPPORT",
                   "没有这种形式：模组回复 +SOCKET ERROR: OPERATION NO SUPPORT", "§4.3"}},
    command_entry{"+ECPING",
                  write,
                  {"pings a host: OK first, then one +ECPING line per echo request and a summary; AT+ECPING=0 "
                   "stops a running ping; errors are +SOCKET ERROR lines, whatever AT+CMEE says (the echoes are "
                   "simulated)",
                   "ping 一个主机：先回 OK，之后每个请求上报一条 +ECPING，最后是统计结果；AT+ECPING=0 停止正在进行的 "
                   "ping；错误以 +SOCKET ERROR 回复，不受 AT+CMEE 影响（回显是模拟的）",
                   "§4.3"}},
    command_entry{
        "+ECRST",
        execute | read | write,
        {"reboots the module: silence after OK, then ECRDY", "重启模组：OK 之后静默，之后输出 ECRDY", "§4.2"}},
    command_entry{"E",
                  write,
                  {"echo: ATE1 echoes every byte received, ATE0 stops it (ATE and ATE? are not supported: CME 4)",
                   "回显：ATE1 回显收到的每个字节，ATE0 关闭（ATE 和 ATE? 不支持，回 CME 4）", "§2.2, §4"}},
    command_entry{"I", execute | read | write, basic_setting},
    command_entry{"Q",
                  write,
                  {"quiet mode: ATQ1 drops final result codes and URCs (ATQ1 itself gets no OK), ATQ0 brings them "
                   "back",
                   "静默模式：ATQ1 后不再输出结果码和 URC（ATQ1 本身也没有 OK），ATQ0 恢复", "§2.4, §4"}},
    command_entry{
        "S",
        execute | read | write,
        {"an S-register: S3 line end (13), S4 line feed (10), S5 backspace (8); ATSn? reads it, "
         "ATSn=<v> sets it",
         "S 寄存器：S3 行结束符（13），S4 换行符（10），S5 退格符（8）；ATSn? 查询，ATSn=<值> 设置", "§2.1, §4"}},
    command_entry{"V",
                  write,
                  {"result code format: ATV1 words (OK), ATV0 digits (0)",
                   "结果码格式：ATV1 文字（OK），ATV0 数字（0）", "§2.4, §4"}},
    command_entry{"Z",
                  execute | write,
                  {"restores the profile's settings, like AT&F (there is no stored user profile)",
                   "恢复默认设置，效果同 AT&F（模组没有保存的用户配置）", "§4"}},
};

constexpr bool sorted_by_name() {
  for (std::size_t i = 1; i < command_rows.size(); ++i)
    if (command_rows[i].name < command_rows[i - 1].name) return false;
  return true;
}
static_assert(sorted_by_name(), "command rows must stay sorted by name");

}  // namespace

std::span<const command_entry> command_entries() { return command_rows; }

}  // namespace nt35e::explain
