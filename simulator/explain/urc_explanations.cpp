// What each URC means (spec §6.1), with one row per field value where the meaning
// depends on it: the result of an ECMT request, the CONNACK return code, the
// registration state, the kind of ping report.

#include <array>

#include "explain/explanations.hpp"

namespace nt35e::explain {
namespace {

// Sorted by name (checked below); the rows of one name are tried in order, so a "*" row ends them.
constexpr std::array urc_rows{
    urc_entry{"+CEDRXP",
              {},
              {"the network's eDRX parameters changed (AcT-type {1}); the simulated network grants no eDRX, so this "
               "never comes",
               "网络侧的 eDRX 参数变了（接入技术类型 {1}）；模拟网络不分配 eDRX，所以不会出现这条上报", "§4.4.10"}},
    urc_entry{"+CEREG",
              {0, 1, "1"},
              {"network registration: registered on the home network", "网络注册状态：已注册到本地网络", "§4.4.3"}},
    urc_entry{
        "+CEREG", {0, 1, "5"}, {"network registration: registered, roaming", "网络注册状态：已注册（漫游）", "§4.4.3"}},
    urc_entry{"+CEREG",
              {0, 1, "2"},
              {"network registration: searching for a network", "网络注册状态：正在搜索网络", "§4.4.3"}},
    urc_entry{
        "+CEREG", {0, 1, "3"}, {"network registration: registration denied", "网络注册状态：注册被拒绝", "§4.4.3"}},
    urc_entry{"+CEREG",
              {0, 1, "*"},
              {"network registration: not registered (radio off or no coverage)",
               "网络注册状态：未注册（射频关闭或无覆盖）", "§4.4.3"}},
    urc_entry{"+CGEV",
              {},
              {"a packet-domain event ({1}) as other modules report it; the NT35E never writes it",
               "其他模组的分组域事件上报（{1}）；NT35E 不会输出", "§6.1"}},
    urc_entry{"+CGREG",
              {0, 1, "1"},
              {"GPRS registration: registered on the home network", "GPRS 注册状态：已注册到本地网络", "§4.4.2"}},
    urc_entry{
        "+CGREG", {0, 1, "5"}, {"GPRS registration: registered, roaming", "GPRS 注册状态：已注册（漫游）", "§4.4.2"}},
    urc_entry{
        "+CGREG", {0, 1, "2"}, {"GPRS registration: searching for a network", "GPRS 注册状态：正在搜索网络", "§4.4.2"}},
    urc_entry{"+CGREG", {0, 1, "3"}, {"GPRS registration: registration denied", "GPRS 注册状态：注册被拒绝", "§4.4.2"}},
    urc_entry{"+CGREG",
              {0, 1, "*"},
              {"GPRS registration: not registered (radio off or no coverage)",
               "GPRS 注册状态：未注册（射频关闭或无覆盖）", "§4.4.2"}},
    urc_entry{"+CPIN",
              {},
              {"SIM state ({1}) as other modules report it at boot; the NT35E does not, ask AT+CPIN? instead",
               "其他模组开机时上报的 SIM 卡状态（{1}）；NT35E 不会主动上报，请用 AT+CPIN? 查询", "§6.1"}},
    urc_entry{"+CREG",
              {0, 1, "1"},
              {"network registration (+CREG): registered on the home network",
               "网络注册状态（+CREG）：已注册到本地网络", "§4.4.1"}},
    urc_entry{"+CREG",
              {0, 1, "5"},
              {"network registration (+CREG): registered, roaming", "网络注册状态（+CREG）：已注册（漫游）", "§4.4.1"}},
    urc_entry{
        "+CREG",
        {0, 1, "2"},
        {"network registration (+CREG): searching for a network", "网络注册状态（+CREG）：正在搜索网络", "§4.4.1"}},
    urc_entry{"+CREG",
              {0, 1, "3"},
              {"network registration (+CREG): registration denied", "网络注册状态（+CREG）：注册被拒绝", "§4.4.1"}},
    urc_entry{"+CREG",
              {0, 1, "*"},
              {"network registration (+CREG): not registered (radio off or no coverage)",
               "网络注册状态（+CREG）：未注册（射频关闭或无覆盖）", "§4.4.1"}},
    urc_entry{"+ECMTCLOSE",
              {},
              {"the link of MQTT id {1} is closed; its context is deleted",
               "MQTT 连接 {1} 的网络链路已关闭，配置已删除", "§5.3"}},
    // +ECMTCONN:<id>,<result>,<ret_code>: result 2 first, then the CONNACK code (§5.4, §7.3).
    urc_entry{
        "+ECMTCONN",
        {3, 2, "2"},
        {"the CONNECT could not be sent (the link was dead or no CONNACK came); the module may reopen "
         "silently and report the real CONNACK next — keep waiting for it",
         "CONNECT 没能发出（链路已断或没有 CONNACK）；模组可能会静默重连并随后报告真正的 CONNACK，请继续等待", "§5.4"}},
    urc_entry{"+ECMTCONN",
              {3, 3, "0"},
              {"MQTT id {1} is connected (CONNACK 0); subscribe and publish now",
               "MQTT 连接 {1} 已建立（CONNACK 0）；现在可以订阅和发布", "§5.4, §7.3"}},
    urc_entry{
        "+ECMTCONN",
        {3, 3, "1"},
        {"MQTT id {1}: unacceptable protocol version: check AT+ECMTCFG=\"version\" (3 = MQTT 3.1, 4 = 3.1.1)",
         "MQTT 连接 {1}：协议版本不被接受：检查 AT+ECMTCFG=\"version\"（3 = MQTT 3.1，4 = 3.1.1）", "§5.4, §7.3"}},
    urc_entry{"+ECMTCONN",
              {3, 3, "2"},
              {"MQTT id {1}: client identifier rejected: use another clientID (an empty one needs MQTT 3.1.1 and "
               "clean session 1)",
               "MQTT 连接 {1}：客户端标识被拒绝：换一个 clientID，或使用 MQTT 3.1.1 且 clean session 为 1 时才可留空",
               "§5.4, §7.3"}},
    urc_entry{
        "+ECMTCONN", {3, 3, "3"}, {"MQTT id {1}: server unavailable", "MQTT 连接 {1}：服务器不可用", "§5.4, §7.3"}},
    urc_entry{"+ECMTCONN",
              {3, 3, "4"},
              {"MQTT id {1}: bad user name or password", "MQTT 连接 {1}：用户名或密码格式错误", "§5.4, §7.3"}},
    urc_entry{
        "+ECMTCONN",
        {3, 3, "5"},
        {"MQTT id {1}: the broker refused the CONNECT: not authorized — check user name, password and client "
         "id; compare with a standard Mosquitto as in the seed guide",
         "MQTT 连接 {1}：服务器拒绝连接：未授权——检查用户名、密码和 clientID；可按 seed 指南用标准 Mosquitto 对比",
         "§5.4, §7.3"}},
    urc_entry{"+ECMTCONN",
              {3, 3, "*"},
              {"MQTT id {1}: the CONNACK was malformed or its code was above 5",
               "MQTT 连接 {1}：CONNACK 报文异常或返回码大于 5", "§5.4, §7.3"}},
    // +ECMTCONN:<id>,<state>, the read answer's line (§5.4).
    urc_entry{"+ECMTCONN", {2, 2, "3"}, {"MQTT id {1} is connected", "MQTT 连接 {1} 状态：已连接", "§5.4"}},
    urc_entry{"+ECMTCONN",
              {2, 2, "2"},
              {"MQTT id {1} is connecting or reconnecting", "MQTT 连接 {1} 状态：正在连接或重连", "§5.4"}},
    urc_entry{"+ECMTCONN", {2, 2, "4"}, {"MQTT id {1} is disconnected", "MQTT 连接 {1} 状态：已断开", "§5.4"}},
    urc_entry{"+ECMTCONN",
              {2, 2, "*"},
              {"MQTT id {1} is not connected (opened or configured)", "MQTT 连接 {1} 状态：未连接（已打开或已配置）",
               "§5.4"}},
    urc_entry{"+ECMTDISC",
              {0, 2, "0"},
              {"MQTT id {1} disconnected; its context is deleted", "MQTT 连接 {1} 已断开，配置已删除", "§5.5"}},
    urc_entry{"+ECMTDISC",
              {0, 2, "*"},
              {"disconnect failed: the id had only an open link and no MQTT session (a module quirk); the link "
               "stays up",
               "断开失败：该连接只打开了链路还没有 MQTT 会话（模组的特性），链路仍保留", "§5.5, §3.2"}},
    urc_entry{"+ECMTOPEN",
              {0, 2, "0"},
              {"the network link of MQTT id {1} is open (DNS and TCP done); next: AT+ECMTCONN={1}",
               "MQTT 连接 {1} 的网络链路已打开（DNS 与 TCP 完成）；下一步：AT+ECMTCONN={1}", "§5.2"}},
    urc_entry{"+ECMTOPEN",
              {0, 2, "*"},
              {"opening MQTT id {1} failed: the DNS lookup or the TCP connect to the broker failed and the context "
               "was deleted; check host, port and registration (AT+CEREG?)",
               "MQTT 连接 {1} 打开失败：域名解析或 TCP 连接失败，配置已删除；检查主机名、端口和网络注册（AT+CEREG?）",
               "§5.2, §7.1"}},
    urc_entry{"+ECMTPUB",
              {0, 3, "0"},
              {"message {2} was written (QoS 0) or acknowledged by the broker (QoS 1/2)",
               "消息 {2} 已发出（QoS 0）或已被服务器确认（QoS 1/2）", "§5.8.3"}},
    urc_entry{"+ECMTPUB", {0, 3, "*"}, {"publishing message {2} failed", "消息 {2} 发布失败", "§5.8.3"}},
    urc_entry{
        "+ECMTRECV",
        {},
        {"a message arrived: the payload is NOT quoted and has no length — every byte after the third comma up "
         "to CR LF is payload, commas and quotes included",
         "收到消息：负载没有引号也没有长度字段，第三个逗号之后直到 CR LF 的全部字节都是负载（含逗号和引号）", "§7.5"}},
    urc_entry{
        "+ECMTSTAT",
        {},
        {"the link of MQTT id {1} was lost; the module reconnects by itself (+ECMTCONN:{1},0,0) but does not "
         "restore subscriptions: subscribe again afterwards",
         "MQTT 连接 {1} 的链路断开；模组会自动重连（+ECMTCONN:{1},0,0），但不会恢复订阅：重连后请重新订阅", "§7.4"}},
    urc_entry{"+ECMTSUB",
              {0, 3, "0"},
              {"subscription {2} acknowledged; the 4th field counts return codes (always 1), it is not the granted "
               "QoS",
               "订阅 {2} 已确认；第四个字段是返回码个数（总是 1），不是授予的 QoS", "§5.6"}},
    urc_entry{"+ECMTSUB",
              {0, 3, "*"},
              {"subscription {2} failed (1 = malformed SUBACK, 2 = send failure or timeout)",
               "订阅 {2} 失败（1 = SUBACK 异常，2 = 发送失败或超时）", "§5.6"}},
    urc_entry{"+ECMTUNS", {0, 3, "0"}, {"unsubscribe {2} acknowledged", "取消订阅 {2} 已确认", "§5.7"}},
    urc_entry{"+ECMTUNS", {0, 3, "*"}, {"unsubscribe {2} failed", "取消订阅 {2} 失败", "§5.7"}},
    // +ECPING:<kind>, …: the first field says which report it is (§4.3).
    urc_entry{"+ECPING", {0, 1, "SUCC"}, {"an echo reply came back ({2}, {3})", "一次 ping 成功（{2}，{3}）", "§4.3"}},
    urc_entry{"+ECPING",
              {0, 1, "FAIL"},
              {"an echo request got no reply in time ({2}, {3})", "一次 ping 超时没有收到回复（{2}，{3}）", "§4.3"}},
    urc_entry{"+ECPING",
              {0, 1, "SEND FAIL*"},
              {"an echo request could not be sent ({2})", "一次 ping 请求没能发出（{2}）", "§4.3"}},
    urc_entry{"+ECPING",
              {0, 1, "DONE"},
              {"every echo request is done; the statistics line follows", "ping 已全部完成，随后是统计结果", "§4.3"}},
    urc_entry{
        "+ECPING",
        {0, 1, "ERROR"},
        {"the ping failed as a whole, {2} (4 parameter error, 5 DNS failure, 6 socket error, 7 every request "
         "timed out, 8 other error)",
         "ping 整体失败，{2}（4 参数错误，5 域名解析失败，6 socket 错误，7 所有请求都超时，8 其他错误）", "§4.3"}},
    urc_entry{"+ECPING",
              {0, 1, "dest:*"},
              {"the ping statistics: packets sent, received and lost, then the round-trip times (\"transmittted\" is "
               "the firmware's spelling)",
               "ping 统计：发送、接收和丢失的包数，以及往返时延（\"transmittted\" 是固件原有的拼写）", "§4.3"}},
    urc_entry{"+ECPING", {}, {"a report of AT+ECPING", "AT+ECPING 的结果上报", "§4.3"}},
    urc_entry{"+QIURC",
              {},
              {"a Quectel URC ({1}), not the NT35E's: this module reports with the +ECMT… lines",
               "移远（Quectel）模组的 URC（{1}），不是 NT35E 的：本模组用 +ECMT… 系列上报", "§6.1"}},
    urc_entry{"ECRDY",
              {},
              {"the module finished booting and accepts AT commands", "模组启动完成，可以接收 AT 指令", "§2.3, §4.2"}},
};

constexpr bool sorted_by_name() {
  for (std::size_t i = 1; i < urc_rows.size(); ++i)
    if (urc_rows[i].name < urc_rows[i - 1].name) return false;
  return true;
}
static_assert(sorted_by_name(), "URC rows must stay sorted by name");

}  // namespace

std::span<const urc_entry> urc_entries() { return urc_rows; }

}  // namespace nt35e::explain
