// The NT35E live view (docs/web.md): plain JavaScript, no framework, no CDN. It opens
// the WebSocket of the page's own server and draws what comes: lines and MQTT packets as a
// sequence diagram, the ECMT link state machine, the modem's state, findings and lessons.
"use strict";

const UI = {
  en: {
    title: "NT35E live view", connecting: "connecting…", connected: "live", closed: "disconnected",
    dl_trace: "trace", dl_report: "HTML report", faults: "Faults:", broker: "broker",
    console: "Console (second DTE):", send: "send", link: "ECMT link", modem: "Modem",
    registration: "registration", signal: "signal", profile: "profile", details: "Details",
    click_hint: "Click a line of the diagram.", lessons: "Lessons", full: "instructor", watch: "watching",
    f_drop_link: "drop link", f_refuse_connect: "refuse next CONNECT (5)", f_network_down: "network down 10 s",
    f_broker_down: "broker down 10 s", f_slow_network: "slow network 30 s",
    f_line_noise: "noisy line 5 s", f_weak_signal: "weak signal 30 s", f_reboot: "reboot",
    spec: "spec", hex: "hex + printable", finding: "oracle finding", no_explain: "(no explanation in the tables)",
    dropped: n => `${n} messages dropped here: this page fell behind`, start: "start",
    step: (i, n) => `step ${i} of ${n}`, passed: "passed", failed: "not passed", lang: "中文",
    reg: { 0: "not registered", 1: "home network", 2: "searching", 3: "denied", 4: "unknown", 5: "roaming" },
    booting: "booting", no_sim: "no SIM", radio_off: "radio off (CFUN=0)",
  },
  zh: {
    title: "NT35E 实时视图", connecting: "连接中…", connected: "实时", closed: "已断开",
    dl_trace: "跟踪文件", dl_report: "HTML 报告", faults: "故障：", broker: "服务器",
    console: "控制台（第二个 DTE）：", send: "发送", link: "ECMT 连接", modem: "模组",
    registration: "注册", signal: "信号", profile: "型号", details: "详情",
    click_hint: "点击时序图中的一行。", lessons: "课程", full: "讲师", watch: "只读",
    f_drop_link: "断开链路", f_refuse_connect: "拒绝下一次 CONNECT（5）", f_network_down: "网络中断 10 秒",
    f_broker_down: "服务器宕机 10 秒", f_slow_network: "网络变慢 30 秒",
    f_line_noise: "串口噪声 5 秒", f_weak_signal: "弱信号 30 秒", f_reboot: "重启",
    spec: "规范", hex: "十六进制 + 可打印", finding: "判定发现", no_explain: "（解释表中没有此行）",
    dropped: n => `此处丢弃了 ${n} 条消息：页面处理不及`, start: "开始",
    step: (i, n) => `第 ${i} 步，共 ${n} 步`, passed: "通过", failed: "未通过", lang: "English",
    reg: { 0: "未注册", 1: "本地网络", 2: "搜索中", 3: "被拒绝", 4: "未知", 5: "漫游" },
    booting: "启动中", no_sim: "无 SIM 卡", radio_off: "射频关闭（CFUN=0）",
  },
};

// The spec's ECMT state machine (§5.10), laid out for the SVG: position of each state.
const MACHINE = {
  NONE: [10, 10], CONFIGURED: [120, 10], OPENING: [10, 60], OPENED: [120, 60], CONNECTING: [230, 60],
  CONNECTED: [230, 115], RECONNECTING: [230, 170], CONNECT_FAIL: [120, 115], DISCONNECTING: [120, 170],
  DISC_FAIL: [10, 170], CLOSING: [10, 115], CLOSE_FAIL: [10, 220],
};
const EDGES = [["NONE", "OPENING"], ["CONFIGURED", "OPENING"], ["OPENING", "OPENED"], ["OPENED", "CONNECTING"],
  ["CONNECTING", "CONNECTED"], ["CONNECTING", "CONNECT_FAIL"], ["CONNECTED", "RECONNECTING"],
  ["RECONNECTING", "CONNECTED"], ["CONNECTED", "DISCONNECTING"], ["DISCONNECTING", "OPENED"],
  ["OPENED", "CLOSING"], ["CLOSING", "NONE"]];

const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
const modem = /^\d+$/.test(params.get("modem") || "") ? params.get("modem") : "";  // a fleet's modem
const watching = location.pathname.replace(/\/+$/, "").endsWith("/watch");
let lang = params.get("lang") === "zh" ? "zh" : "en";
let ws = null, hello = null, selected = null, currentId = 0, lastState = null, lesson = null;
const rows = [];          // every drawn message, by index
const findings = [];      // every finding received
const history = [];       // console history
let historyAt = 0;

const $ = id => document.getElementById(id);
const t = key => UI[lang][key];
const micros = us => (us / 1e6).toFixed(3) + " s";

function withToken(path) {
  if (modem) path += (path.includes("?") ? "&" : "?") + "modem=" + modem;
  return token ? path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : path;
}

function status(text, bad) {
  const s = $("status");
  s.textContent = text;
  s.style.background = bad ? "#8a1c20" : "";
}

// ---- labels and language

function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("lang").textContent = t("lang");
  for (const b of document.querySelectorAll("#faults button")) b.textContent = t("f_" + b.dataset.fault) || b.dataset.fault;
  if (hello) $("role").textContent = t(hello.role);
  if (lastState) drawState(lastState);
  if (selected !== null) showDetails(selected);
  drawLessons();
  drawLesson();
  for (const r of rows) if (r.marker) r.el.textContent = t("dropped")(r.count);
}

$("lang").addEventListener("click", () => { lang = lang === "en" ? "zh" : "en"; applyLanguage(); });

// ---- the diagram

function atBottom() {
  const d = $("diagram");
  return d.scrollHeight - d.scrollTop - d.clientHeight < 40;
}

function addRow(m) {
  const follow = atBottom();
  const el = document.createElement("div");
  el.className = "row";
  const time = document.createElement("span");
  time.className = "t";
  time.textContent = micros(m.t_us);
  el.appendChild(time);
  const arrow = document.createElement("span");
  if (m.type === "line") {
    const right = m.dir === "dte";
    arrow.className = `arrow lane1 ${right ? "right" : "left"} dir-${m.dir} kind-${m.kind}`;
    arrow.textContent = m.text;
    el.dataset.kind = m.kind;
  } else {
    const right = m.dir === "to_broker";
    arrow.className = `arrow lane2 net ${right ? "right" : "left"}`;
    arrow.textContent = m.packet + (m.code !== undefined && m.packet !== "PUBLISH" ? " " + m.code : "") +
      (m.qos ? " qos " + m.qos : "");
    el.dataset.kind = "mqtt";
    el.dataset.packet = m.packet;
  }
  if (m.problem) el.classList.add("problem");
  el.dataset.dir = m.dir;
  el.appendChild(arrow);
  const index = rows.length;
  el.addEventListener("click", () => showDetails(index));
  rows.push({ m, el, findings: [] });
  $("diagram").appendChild(el);
  if (follow) el.scrollIntoView({ block: "end" });
}

function addMarker(count) {
  const el = document.createElement("div");
  el.className = "row";
  const span = document.createElement("span");
  span.className = "marker";
  span.textContent = t("dropped")(count);
  el.appendChild(document.createElement("span"));
  el.appendChild(span);
  rows.push({ marker: true, count, el: span, findings: [] });
  $("diagram").appendChild(el);
}

function addFinding(f) {
  findings.push(f);
  // Marked on every proving line: the row of the same side and time.
  for (const line of f.lines || []) {
    for (let i = rows.length - 1; i >= 0; --i) {
      const r = rows[i];
      if (!r.m || r.m.type !== "line" || r.m.t_us !== line.t_us || (r.m.dir === "dte") !== line.dte) continue;
      if (r.findings.includes(f)) break;
      r.findings.push(f);
      r.el.classList.add("problem");
      const b = document.createElement("span");
      b.className = "badge-f";
      b.textContent = "!";
      b.title = f.rule;
      r.el.lastChild.appendChild(b);
      break;
    }
  }
  status(f.level + ": " + f.rule + " — " + f.detail, true);
}

function printable(hex) {
  return hex.split(" ").filter(Boolean).map(h => {
    const c = parseInt(h, 16);
    return c >= 32 && c < 127 ? String.fromCharCode(c) : ".";
  }).join("");
}

function showDetails(index) {
  selected = index;
  for (const r of rows) r.el.classList && r.el.classList.remove("selected");
  const r = rows[index];
  if (!r || !r.m) return;
  if (r.el.classList) r.el.classList.add("selected");
  const m = r.m;
  const d = $("details");
  d.textContent = "";
  const line = document.createElement("div");
  line.className = "line";
  line.textContent = (m.type === "line" ? (m.dir === "dte" ? "DTE → NT35E  " : "NT35E → DTE  ") + m.text
    : (m.dir === "to_broker" ? "NT35E → broker  " : "broker → NT35E  ") + m.text) + "   @ " + micros(m.t_us);
  d.appendChild(line);
  const text = document.createElement("p");
  text.id = "explanation";
  const explained = m.explain ? m.explain[lang] : "";
  text.textContent = explained || (m.type === "line" ? t("no_explain") : "");
  d.appendChild(text);
  if (m.problem) {
    const p = document.createElement("p");
    p.className = "finding";
    p.textContent = m.problem;
    d.appendChild(p);
  }
  if (m.spec) {
    const p = document.createElement("p");
    p.className = "spec";
    p.textContent = t("spec") + ": " + m.spec;
    d.appendChild(p);
  }
  for (const f of r.findings) {
    const p = document.createElement("div");
    p.className = "finding";
    p.textContent = `${t("finding")}: ${f.rule} (${f.level}, ${f.spec}) — ${f.detail}. ${f.explain[lang]}`;
    d.appendChild(p);
  }
  if (m.hex !== undefined) {
    const det = document.createElement("details");
    det.id = "hexview";
    const sum = document.createElement("summary");
    sum.textContent = t("hex");
    det.appendChild(sum);
    const pre = document.createElement("pre");
    const bytes = m.hex.split(" ").filter(Boolean);
    let out = "";
    for (let i = 0; i < bytes.length; i += 16) {
      const chunk = bytes.slice(i, i + 16).join(" ");
      out += chunk.padEnd(48) + "  " + printable(chunk) + "\n";
    }
    pre.textContent = out;
    det.appendChild(pre);
    d.appendChild(det);
  }
}

// ---- state

function drawMachine(current) {
  const svg = $("machine");
  const ns = "http://www.w3.org/2000/svg";
  svg.textContent = "";
  const defs = document.createElementNS(ns, "defs");
  defs.innerHTML = '<marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#aaa"/></marker>';
  svg.appendChild(defs);
  const w = 96, h = 24;
  for (const [a, b] of EDGES) {
    const [x1, y1] = MACHINE[a], [x2, y2] = MACHINE[b];
    const l = document.createElementNS(ns, "line");
    const dx = x2 - x1, dy = y2 - y1;
    l.setAttribute("x1", x1 + w / 2 + Math.sign(dx) * w / 2 * (dy === 0 ? 1 : 0));
    l.setAttribute("y1", y1 + h / 2 + Math.sign(dy) * h / 2 * (dx === 0 ? 1 : 0.9));
    l.setAttribute("x2", x2 + w / 2 - Math.sign(dx) * w / 2 * (dy === 0 ? 1 : 0));
    l.setAttribute("y2", y2 + h / 2 - Math.sign(dy) * h / 2 * (dx === 0 ? 1 : 0.9));
    svg.appendChild(l);
  }
  for (const name of (hello && hello.states) || Object.keys(MACHINE)) {
    const pos = MACHINE[name];
    if (!pos) continue;
    const g = document.createElementNS(ns, "g");
    g.setAttribute("class", "st" + (name === current ? " lit" : ""));
    g.setAttribute("data-state", name);
    const r = document.createElementNS(ns, "rect");
    r.setAttribute("x", pos[0]); r.setAttribute("y", pos[1]); r.setAttribute("width", w); r.setAttribute("height", h);
    const tx = document.createElementNS(ns, "text");
    tx.setAttribute("x", pos[0] + w / 2); tx.setAttribute("y", pos[1] + 16);
    tx.textContent = name;
    g.appendChild(r); g.appendChild(tx);
    svg.appendChild(g);
  }
  svg.dataset.current = current;
}

function drawState(s) {
  lastState = s;
  const ids = $("ecmt-ids");
  ids.textContent = "";
  for (const c of s.ecmt) {
    const b = document.createElement("button");
    b.type = "button";
    b.id = "ecmt-" + c.id;
    b.dataset.state = c.state;
    b.className = c.id === currentId ? "current" : "";
    b.textContent = `id ${c.id}: ${c.state}`;
    b.addEventListener("click", () => { currentId = c.id; drawState(lastState); });
    ids.appendChild(b);
  }
  const link = s.ecmt.find(c => c.id === currentId) || s.ecmt[0];
  if (link) currentId = link.id;
  drawMachine(link ? link.state : "NONE");
  let reg = UI[lang].reg[s.registration] || String(s.registration);
  if (s.booting) reg = t("booting");
  else if (!s.sim) reg = t("no_sim");
  else if (s.cfun === 0) reg = t("radio_off");
  $("reg").textContent = `${reg} (+CEREG stat ${s.registration})`;
  $("reg").dataset.stat = s.registration;
  $("rssi").textContent = s.rssi === 99 ? "99 (unknown)" :
    `${s.rssi} (${-113 + 2 * s.rssi} dBm) ` + "▂▄▆█".slice(0, Math.min(4, Math.ceil(s.rssi / 8)));
  $("imei").textContent = s.imei;
  $("profile").textContent = s.profile;
}

// ---- lessons

let lessonList = [];
function drawLessons() {
  const ul = $("lessons");
  ul.textContent = "";
  for (const l of lessonList) {
    const li = document.createElement("li");
    li.textContent = (l.title && l.title[lang]) || l.name;
    if (hello && hello.role === "full") {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.lesson = l.name;
      b.textContent = t("start");
      b.addEventListener("click", () => send({ type: "lesson", name: l.name }));
      li.appendChild(b);
    }
    ul.appendChild(li);
  }
}

function drawLesson() {
  const box = $("lesson");
  box.textContent = "";
  if (!lesson) return;
  const h = document.createElement("p");
  h.id = "lesson-title";
  h.textContent = (lesson.title && lesson.title[lang]) || lesson.name;
  box.appendChild(h);
  const st = document.createElement("p");
  st.id = "lesson-status";
  st.dataset.status = lesson.status;
  st.className = lesson.status;
  st.textContent = lesson.status === "passed" ? t("passed") : lesson.status === "failed" ? t("failed")
    : t("step")(lesson.step + 1, lesson.steps);
  box.appendChild(st);
  if (lesson.say) {
    const s = document.createElement("div");
    s.className = "step";
    s.id = "lesson-step";
    s.textContent = lesson.say[lang];
    box.appendChild(s);
  }
  if (lesson.why && lesson.why[lang]) {
    const w = document.createElement("p");
    w.id = "lesson-why";
    w.className = "failed";
    w.textContent = lesson.why[lang];
    box.appendChild(w);
  }
}

// ---- the connection

function send(obj) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
}

function onMessage(m) {
  switch (m.type) {
    case "hello":
      hello = m;
      $("role").textContent = t(m.role);
      if (m.modems > 1) document.title = `NT35E modem ${m.modem}`;
      if (m.faults && m.faults.length) {
        const bar = $("faults");
        bar.hidden = false;
        for (const name of m.faults) {
          if (bar.querySelector(`[data-fault="${name}"]`)) continue;
          const b = document.createElement("button");
          b.type = "button";
          b.dataset.fault = name;
          b.textContent = t("f_" + name) || name;
          b.addEventListener("click", () => send({ type: "fault", name }));
          bar.appendChild(b);
        }
      }
      $("console").hidden = !m.console;
      if (m.lessons) lessonList = m.lessons;
      drawLessons();
      drawMachine("NONE");
      break;
    case "line":
    case "mqtt":
      addRow(m);
      break;
    case "state":
      drawState(m);
      break;
    case "finding":
      addFinding(m);
      break;
    case "dropped":
      addMarker(m.count);
      break;
    case "lesson":
      lesson = m;
      drawLesson();
      break;
    case "reply":
      status((m.ok ? "✓ " : "✗ ") + m.what + ": " + m.text, !m.ok);
      break;
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const path = withToken("ws" + (watching ? "?role=watch" : ""));
  ws = new WebSocket(`${scheme}//${location.host}${location.pathname.replace(/[^/]*$/, "").replace(/watch\/?$/, "")}${path}`);
  ws.onopen = () => { $("conn").textContent = t("connected"); $("conn").className = "badge on"; $("conn").dataset.t = "connected"; };
  ws.onclose = () => { $("conn").textContent = t("closed"); $("conn").className = "badge off"; $("conn").dataset.t = "closed"; };
  ws.onmessage = e => { try { onMessage(JSON.parse(e.data)); } catch (err) { status(String(err), true); } };
}

$("console-form").addEventListener("submit", e => {
  e.preventDefault();
  const input = $("console-input");
  const line = input.value;
  if (!line) return;
  send({ type: "at", line });
  if (history[history.length - 1] !== line) history.push(line);
  historyAt = history.length;
  input.value = "";
});
$("console-input").addEventListener("keydown", e => {
  if (e.key === "ArrowUp" && historyAt > 0) { historyAt--; e.target.value = history[historyAt]; e.preventDefault(); }
  if (e.key === "ArrowDown") {
    historyAt = Math.min(history.length, historyAt + 1);
    e.target.value = history[historyAt] || "";
    e.preventDefault();
  }
});

$("dl-trace").href = withToken("trace.jsonl");
$("dl-report").href = withToken("report.html");
$("dl-pcap").href = withToken("session.pcapng");
applyLanguage();
connect();
