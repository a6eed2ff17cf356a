// The fleet's grid (docs/web.md): every modem as a cell in the colour of its ECMT link's
// state, read from /fleet.json every second; a click opens that modem's own view.
"use strict";

const token = new URLSearchParams(location.search).get("token") || "";
const withToken = p => token ? p + (p.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : p;

function stateOf(s) {
  if (!s) return "NONE";
  if (s.booting || s.registration !== 1 && s.registration !== 5) return "unregistered";
  const link = s.ecmt.find(c => c.id === 0) || s.ecmt[0];
  return link ? link.state : "NONE";
}

function draw(states) {
  const grid = document.getElementById("grid");
  document.getElementById("count").textContent = states.length + " modems";
  while (grid.children.length < states.length) {
    const i = grid.children.length;
    const a = document.createElement("a");
    a.className = "cell";
    a.dataset.modem = i;
    a.href = withToken("/?modem=" + i);
    a.target = "_blank";
    grid.appendChild(a);
  }
  states.forEach((s, i) => {
    const a = grid.children[i];
    const st = stateOf(s);
    a.className = "cell st-" + st;
    a.dataset.state = st;
    a.title = `modem ${i}` + (s ? ` — IMEI ${s.imei}, +CEREG ${s.registration}, rssi ${s.rssi}` : "");
    a.textContent = i;
  });
}

async function poll() {
  try {
    const r = await fetch(withToken("/fleet.json"), { cache: "no-store" });
    if (!r.ok) throw new Error(await r.text());
    draw(await r.json());
    document.getElementById("status").textContent = "";
  } catch (e) {
    document.getElementById("status").textContent = String(e);
  }
  setTimeout(poll, 1000);
}
poll();
