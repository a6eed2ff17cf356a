#include "explain/explainer.hpp"

#include <cctype>
#include <string>
#include <vector>

namespace nt35e::explain {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// "+NAME: a,b,c" (either style) → name "+NAME" and the comma-separated fields.
struct parsed_urc {
  std::string name;
  std::vector<std::string> fields;
};

parsed_urc split_urc(std::string_view text) {
  parsed_urc out;
  auto colon = text.find(':');
  out.name = upper(text.substr(0, colon));
  if (colon == std::string_view::npos) return out;
  auto rest = text.substr(colon + 1);
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  std::string field;
  bool quoted = false;
  for (char c : rest) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      out.fields.push_back(field);
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  out.fields.push_back(field);
  return out;
}

std::string f(const parsed_urc& u, std::size_t i) { return i < u.fields.size() ? u.fields[i] : std::string{}; }

const char* connack_meaning(int rc, language l) {
  bool zh = l == language::zh;
  switch (rc) {
    case 0:
      return zh ? "服务器接受了连接" : "the broker accepted the connection";
    case 1:
      return zh ? "协议版本不被接受：检查 AT+ECMTCFG=\"version\"（3 = MQTT 3.1，4 = 3.1.1）"
                : "unacceptable protocol version: check AT+ECMTCFG=\"version\" (3 = MQTT 3.1, 4 = 3.1.1)";
    case 2:
      return zh ? "客户端标识被拒绝：换一个 clientID，或使用 MQTT 3.1.1 且 clean session 为 1 时才可留空"
                : "client identifier rejected: use another clientID (an empty one needs MQTT 3.1.1 and clean session "
                  "1)";
    case 3:
      return zh ? "服务器不可用" : "server unavailable";
    case 4:
      return zh ? "用户名或密码格式错误" : "bad user name or password";
    case 5:
      return zh ? "服务器拒绝连接：未授权——检查用户名、密码和 clientID；可按 seed 指南用标准 Mosquitto 对比"
                : "the broker refused the CONNECT: not authorized — check user name, password and client id; "
                  "compare with a standard Mosquitto as in the seed guide";
    default:
      return zh ? "CONNACK 报文异常或返回码大于 5" : "the CONNACK was malformed or its code was above 5";
  }
}

}  // namespace

std::string urc(std::string_view text, language lang) {
  bool zh = lang == language::zh;
  auto u = split_urc(text);
  const auto id = f(u, 0);
  if (u.name == "ECRDY")
    return zh ? "模组启动完成，可以接收 AT 指令" : "the module finished booting and accepts AT commands";
  if (u.name == "+ECMTOPEN") {
    if (f(u, 1) == "0")
      return zh ? "MQTT 连接 " + id + " 的网络链路已打开（DNS 与 TCP 完成）；下一步：AT+ECMTCONN=" + id
                : "the network link of MQTT id " + id + " is open (DNS and TCP done); next: AT+ECMTCONN=" + id;
    return zh ? "MQTT 连接 " + id +
                    " 打开失败：域名解析或 TCP 连接失败，配置已删除；检查主机名、端口和网络注册（AT+CEREG?）"
              : "opening MQTT id " + id +
                    " failed: the DNS lookup or the TCP connect to the broker failed and the "
                    "context was deleted; check host, port and registration (AT+CEREG?)";
  }
  if (u.name == "+ECMTCONN" && u.fields.size() >= 3) {
    if (f(u, 1) == "2")
      return zh ? "CONNECT 没能发出（链路已断或没有 CONNACK）；模组可能会静默重连并随后报告真正的 CONNACK，请继续等待"
                : "the CONNECT could not be sent (the link was dead or no CONNACK came); the module may reopen "
                  "silently and report the real CONNACK next — keep waiting for it";
    int rc = std::atoi(f(u, 2).c_str());
    std::string what = connack_meaning(rc, lang);
    if (rc == 0)
      return zh ? "MQTT 连接 " + id + " 已建立（CONNACK 0）；现在可以订阅和发布"
                : "MQTT id " + id + " is connected (CONNACK 0); subscribe and publish now";
    return (zh ? "MQTT 连接 " + id + "：" : "MQTT id " + id + ": ") + what;
  }
  if (u.name == "+ECMTCONN" && u.fields.size() == 2) {
    const auto s = f(u, 1);
    std::string state = s == "3"   ? (zh ? "已连接" : "connected")
                        : s == "2" ? (zh ? "正在连接或重连" : "connecting or reconnecting")
                        : s == "4" ? (zh ? "已断开" : "disconnected")
                                   : (zh ? "未连接（已打开或已配置）" : "not connected (opened or configured)");
    return (zh ? "MQTT 连接 " + id + " 状态：" : "MQTT id " + id + " is ") + state;
  }
  if (u.name == "+ECMTSUB") {
    if (f(u, 2) == "0")
      return zh ? "订阅 " + f(u, 1) + " 已确认；第四个字段是返回码个数（总是 1），不是授予的 QoS"
                : "subscription " + f(u, 1) +
                      " acknowledged; the 4th field counts return codes (always 1), it is "
                      "not the granted QoS";
    return zh ? "订阅 " + f(u, 1) + " 失败（1 = SUBACK 异常，2 = 发送失败或超时）"
              : "subscription " + f(u, 1) + " failed (1 = malformed SUBACK, 2 = send failure or timeout)";
  }
  if (u.name == "+ECMTUNS")
    return f(u, 2) == "0" ? (zh ? "取消订阅 " + f(u, 1) + " 已确认" : "unsubscribe " + f(u, 1) + " acknowledged")
                          : (zh ? "取消订阅 " + f(u, 1) + " 失败" : "unsubscribe " + f(u, 1) + " failed");
  if (u.name == "+ECMTPUB")
    return f(u, 2) == "0" ? (zh ? "消息 " + f(u, 1) + " 已发出（QoS 0）或已被服务器确认（QoS 1/2）"
                                : "message " + f(u, 1) + " was written (QoS 0) or acknowledged by the broker (QoS 1/2)")
                          : (zh ? "消息 " + f(u, 1) + " 发布失败" : "publishing message " + f(u, 1) + " failed");
  if (u.name == "+ECMTSTAT")
    return zh ? "MQTT 连接 " + id + " 的链路断开；模组会自动重连（+ECMTCONN:" + id +
                    ",0,0），但不会恢复订阅：重连后请重新订阅"
              : "the link of MQTT id " + id + " was lost; the module reconnects by itself (+ECMTCONN:" + id +
                    ",0,0) but does not restore subscriptions: subscribe again afterwards";
  if (u.name == "+ECMTRECV")
    return zh ? "收到消息：负载没有引号也没有长度字段，第三个逗号之后直到 CR LF 的全部字节都是负载（含逗号和引号）"
              : "a message arrived: the payload is NOT quoted and has no length — every byte after the third comma "
                "up to CR LF is payload, commas and quotes included";
  if (u.name == "+ECMTDISC")
    return f(u, 1) == "0" ? (zh ? "MQTT 连接 " + id + " 已断开，配置已删除"
                                : "MQTT id " + id + " disconnected; its context is deleted")
                          : (zh ? "断开失败：该连接只打开了链路还没有 MQTT 会话（模组的特性），链路仍保留"
                                : "disconnect failed: the id had only an open link and no MQTT session (a module "
                                  "quirk); the link stays up");
  if (u.name == "+ECMTCLOSE")
    return zh ? "MQTT 连接 " + id + " 的网络链路已关闭，配置已删除"
              : "the link of MQTT id " + id + " is closed; its context is deleted";
  if (u.name == "+CEREG") {
    auto stat = u.fields.size() >= 1 ? f(u, 0) : "";
    const char* what = stat == "1"   ? (zh ? "已注册到本地网络" : "registered on the home network")
                       : stat == "5" ? (zh ? "已注册（漫游）" : "registered, roaming")
                       : stat == "2" ? (zh ? "正在搜索网络" : "searching for a network")
                       : stat == "3"
                           ? (zh ? "注册被拒绝" : "registration denied")
                           : (zh ? "未注册（射频关闭或无覆盖）" : "not registered (radio off or no coverage)");
    return (zh ? "网络注册状态：" : "network registration: ") + std::string(what);
  }
  return {};
}

std::string command(std::string_view line, language lang) {
  bool zh = lang == language::zh;
  auto u = upper(line);
  auto args_at = line.find('=');
  std::string args = args_at == std::string_view::npos ? std::string{} : std::string(line.substr(args_at + 1));
  auto starts = [&](std::string_view p) { return u.rfind(p, 0) == 0; };
  std::string id = args.substr(0, args.find(','));
  if (starts("+ECMTOPEN=?") || starts("+ECMTCONN=?") || u.find("=?") != std::string::npos)
    return zh ? "查询该指令支持的参数范围" : "asks which parameter values the command accepts";
  if (starts("+ECMTOPEN="))
    return zh ? "打开 MQTT 连接 " + id + " 的 TCP 链路；结果稍后以 +ECMTOPEN:" + id + ",<结果> 上报"
              : "opens the TCP link of MQTT id " + id + "; the result comes later as +ECMTOPEN:" + id + ",<result>";
  if (starts("+ECMTCONN="))
    return zh ? "在连接 " + id + " 上发送 MQTT CONNECT；结果以 +ECMTCONN:" + id + ",0,<返回码> 上报（0 为成功）"
              : "sends the MQTT CONNECT on id " + id + "; the broker's answer comes as +ECMTCONN:" + id +
                    ",0,<code> (0 = accepted)";
  if (starts("+ECMTSUB="))
    return zh ? "订阅一个主题；确认以 +ECMTSUB 上报" : "subscribes to one topic; the SUBACK comes as +ECMTSUB";
  if (starts("+ECMTUNS=")) return zh ? "取消订阅一个主题" : "unsubscribes from one topic";
  if (starts("+ECMTPUB="))
    return zh ? "发布一条消息；省略负载时进入数据模式：看到 > 后发送数据，以 Ctrl-Z (0x1A) 结束，ESC 取消"
              : "publishes one message; without a payload it enters data mode: send the data after \"> \" and end "
                "it with Ctrl-Z (0x1A), or cancel with ESC";
  if (starts("+ECMTDISC="))
    return zh ? "发送 MQTT DISCONNECT 并删除连接 " + id : "sends MQTT DISCONNECT and deletes id " + id;
  if (starts("+ECMTCLOSE=")) return zh ? "关闭连接 " + id + " 的网络链路" : "closes the network link of id " + id;
  if (starts("+ECMTCFG="))
    return zh ? "设置或查询 MQTT 连接的一个选项（下次 CONNECT 生效）"
              : "sets or queries one option of an MQTT context (used by the next CONNECT)";
  if (starts("+CEREG"))
    return zh ? "网络注册状态（+CEREG:<n>,<stat>，stat 1 = 已注册）"
              : "network registration (+CEREG:<n>,<stat>, stat 1 = registered)";
  if (starts("+CSQ")) return zh ? "信号质量（rssi 0-31，99 = 未知）" : "signal quality (rssi 0-31, 99 = unknown)";
  if (starts("+CGSN") || starts("+GSN")) return zh ? "读取 IMEI" : "reads the IMEI";
  if (starts("+CGATT"))
    return zh ? "分组域附着状态（1 = 已附着，可以上网）" : "packet attach (1 = attached, data can flow)";
  if (starts("+CFUN"))
    return zh ? "射频功能：1 开，0/4 关（会断开所有 MQTT 链路）"
              : "radio function: 1 on, 0/4 off (drops every MQTT link)";
  if (starts("+ECRST"))
    return zh ? "重启模组：OK 之后静默，之后输出 ECRDY" : "reboots the module: silence after OK, then ECRDY";
  if (starts("I") || u.empty() || starts("E") || starts("V") || starts("+CMEE"))
    return zh ? "基本设置或识别信息" : "a basic setting or identification";
  return {};
}

std::string hint(const at::failure& fl, std::string_view line, language lang) {
  bool zh = lang == language::zh;
  const auto& r = fl.reason;
  auto u = upper(line);
  if (r == "syntax.typographic_quote")
    return zh ? "提示：这里用了中文/排版引号（“ ” ‘ ’），模组只认英文双引号 \"；请在编辑器里关闭智能引号"
              : "hint: a typographic quote (“ ” ‘ ’) is not a delimiter; type the ASCII quote \" (turn off smart "
                "quotes)";
  if (r == "syntax.fullwidth_punct")
    return zh ? "提示：用了全角标点（， ＂），请切换到英文输入法后重新输入"
              : "hint: a full-width comma or quote (， ＂) is not a separator; switch the keyboard to ASCII";
  if (r == "state.not_allowed") {
    if (u.rfind("+ECMTCONN", 0) == 0)
      return zh ? "提示：必须先收到 +ECMTOPEN:<id>,0 再发 AT+ECMTCONN"
                : "hint: wait for +ECMTOPEN:<id>,0 before AT+ECMTCONN";
    if (u.rfind("+ECMTPUB", 0) == 0 || u.rfind("+ECMTSUB", 0) == 0 || u.rfind("+ECMTUNS", 0) == 0)
      return zh ? "提示：必须先收到 +ECMTCONN:<id>,0,0 再订阅或发布"
                : "hint: wait for +ECMTCONN:<id>,0,0 before subscribing or publishing";
    return zh ? "提示：用 AT+ECMTCONN? 查看各连接状态" : "hint: AT+ECMTCONN? shows the state of every id";
  }
  if (r == "param.range" && fl.sentence.find("tcpconnectID") != std::string::npos)
    return zh ? "提示：连接号超出范围（NT35E 为 0-4）" : "hint: the id is out of range (0-4 on the NT35E)";
  if (r == "guard.expired")
    return zh ? "提示：数据模式没有结束：发送负载后要发 Ctrl-Z (0x1A)，或 ESC 取消"
              : "hint: data mode was left open: end the payload with Ctrl-Z (0x1A), or ESC to cancel";
  if (r == "net.no_pdp")
    return zh ? "提示：网络还没注册好，等 +CEREG: 1 或用 AT+CGATT? 确认"
              : "hint: the network is not registered yet; wait for +CEREG: 1 or check AT+CGATT?";
  if (r == "syntax.unknown_command")
    return zh ? "提示：该模组的 MQTT 指令是 AT+ECMT… 系列"
              : "hint: this module's MQTT commands are the AT+ECMT… family";
  return {};
}

}  // namespace nt35e::explain
