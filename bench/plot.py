#!/usr/bin/python3
"""Draws the benchmarks' figures from results/results.json as SVG (standard library only):

    fleet_memory.svg    RSS per modem (connected) against fleet size: scripted, live, Paho
    latency.svg         p50 and p99 of every latency row (zero delays), simulator vs baseline
    publish_rate.svg    QoS 1 publish rate against the in-flight window (the windows measured)

    bench/plot.py [RESULTS_DIR]      (default: bench/results)
"""

import json
import os
import re
import sys
from html import escape

W, H, LEFT, BOTTOM, TOP, RIGHT = 720, 360, 70, 50, 40, 170
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]


def frame(title, xlabel, ylabel, machine):
    """The SVG head: title, axes' labels, and the machine the figures came from."""
    m = machine or {}
    where = escape(f"{m.get('nproc', '?')} CPU {m.get('cpu', '')}, {m.get('kernel', '')}, load {m.get('load', '?')}, "
                   f"{m.get('date', '')}")
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" '
            f'font-size="11">', f'<rect width="{W}" height="{H}" fill="white"/>',
            f'<text x="{LEFT}" y="18" font-size="14">{escape(title)}</text>',
            f'<text x="{LEFT}" y="32" fill="#666">{where}</text>',
            f'<text x="{(W - RIGHT + LEFT) / 2}" y="{H - 10}" text-anchor="middle">{escape(xlabel)}</text>',
            f'<text x="14" y="{(H - BOTTOM + TOP) / 2}" transform="rotate(-90 14 {(H - BOTTOM + TOP) / 2})" '
            f'text-anchor="middle">{escape(ylabel)}</text>',
            f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" stroke="black"/>',
            f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{H - BOTTOM}" stroke="black"/>']


def y_axis(out, top):
    for i in range(5):
        v = top * i / 4
        y = H - BOTTOM - (H - BOTTOM - TOP) * i / 4
        out.append(f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end">{v:.4g}</text>')
        out.append(f'<line x1="{LEFT}" y1="{y}" x2="{W - RIGHT}" y2="{y}" stroke="#eee"/>')


def legend(out, names):
    for i, name in enumerate(names):
        y = TOP + 16 * i
        out.append(f'<rect x="{W - RIGHT + 10}" y="{y}" width="10" height="10" fill="{COLOURS[i % len(COLOURS)]}"/>')
        out.append(f'<text x="{W - RIGHT + 26}" y="{y + 9}">{escape(name)}</text>')


def lines(path, title, xlabel, ylabel, machine, series):
    """series: {name: [(x, y), ...]}; x on a log scale when it spans a factor of 20 or more."""
    points = [p for s in series.values() for p in s]
    if not points:
        return False
    xs = sorted({x for x, _ in points})
    top = max(y for _, y in points) * 1.1 or 1
    out = frame(title, xlabel, ylabel, machine)
    y_axis(out, top)
    # Evenly spaced categories: fleet sizes and windows are few, and uneven.
    def px(x):
        return LEFT + 20 + (W - RIGHT - LEFT - 40) * (xs.index(x) / max(1, len(xs) - 1))

    for x in xs:
        out.append(f'<text x="{px(x)}" y="{H - BOTTOM + 16}" text-anchor="middle">{x:g}</text>')
    for i, (name, pts) in enumerate(series.items()):
        c = COLOURS[i % len(COLOURS)]
        pts = sorted(pts)
        coords = " ".join(f"{px(x):.1f},{H - BOTTOM - (H - BOTTOM - TOP) * y / top:.1f}" for x, y in pts)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{c}" stroke-width="2"/>')
        for x, y in pts:
            out.append(f'<circle cx="{px(x):.1f}" cy="{H - BOTTOM - (H - BOTTOM - TOP) * y / top:.1f}" r="3" '
                       f'fill="{c}"><title>{escape(name)}: {y:.4g}</title></circle>')
    legend(out, list(series))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return True


def bars(path, title, ylabel, machine, groups, names):
    """groups: [(label, [value per name])]: grouped bars, one colour per name."""
    if not groups:
        return False
    top = max(v for _, vs in groups for v in vs) * 1.1 or 1
    out = frame(title, "", ylabel, machine)
    y_axis(out, top)
    slot = (W - RIGHT - LEFT - 10) / len(groups)
    bar = slot * 0.8 / len(names)
    for g, (label, values) in enumerate(groups):
        x0 = LEFT + 5 + g * slot + slot * 0.1
        for i, v in enumerate(values):
            h = (H - BOTTOM - TOP) * v / top
            out.append(f'<rect x="{x0 + i * bar:.1f}" y="{H - BOTTOM - h:.1f}" width="{bar - 1:.1f}" height="{h:.1f}" '
                       f'fill="{COLOURS[i % len(COLOURS)]}"><title>{escape(label)} {escape(names[i])}: {v:.4g}'
                       f'</title></rect>')
        out.append(f'<text x="{x0 + slot * 0.4:.1f}" y="{H - BOTTOM + 14}" text-anchor="middle" font-size="9">'
                   f'{escape(label)}</text>')
    legend(out, names)
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return True


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    try:
        with open(os.path.join(results, "results.json")) as f:
            benches = json.load(f)["benchmarks"]
    except (OSError, ValueError, KeyError) as e:
        print(f"plot.py: cannot read {results}/results.json: {e}", file=sys.stderr)
        return 1
    drawn = []

    fleet = benches.get("fleet", {})
    memory = {}
    for r in fleet.get("rows", []):
        m = re.match(r"Fleet (\d+), (scripted broker|local mosquitto)", r["benchmark"])
        if m and r["metric"] == "RSS connected per modem":
            n = int(m.group(1))
            memory.setdefault("nt35e-sim, " + ("scripted" if "scripted" in m.group(2) else "live"), []).append(
                (n, r["simulator"]))
            if r.get("baseline") is not None:
                memory.setdefault("Paho client", [])
                if n not in [x for x, _ in memory["Paho client"]]:
                    memory["Paho client"].append((n, r["baseline"]))
    if lines(os.path.join(results, "fleet_memory.svg"), "Resident memory per modem, connected", "modems in the process",
             "KiB per modem", fleet.get("machine"), memory):
        drawn.append("fleet_memory.svg")

    groups = []
    for key in ("at_roundtrip", "publish"):
        for r in benches.get(key, {}).get("rows", []):
            if r["mode"] == "zero delays" and r["unit"] == "µs" and r["metric"] in ("p50", "p99") \
                    and r.get("baseline") is not None:
                label = r["benchmark"].replace("AT round trip, ", "").replace("Publish latency, ", "pub ")
                label = label.replace("Session start (AT+ECMTOPEN -> +ECMTCONN:0,0,0) vs ", "start vs ")
                groups.append((f"{label} {r['metric']}", [r["simulator"], r["baseline"]]))
    machine = benches.get("publish", benches.get("at_roundtrip", {})).get("machine")
    # One figure per scale would be kinder to the small bars; a log axis is not worth it here.
    groups = [g for g in groups if max(g[1]) < 10_000]
    if bars(os.path.join(results, "latency.svg"), "Latency (zero delays): simulator and its baseline", "µs",
            machine, groups, ["nt35e-sim", "baseline"]):
        drawn.append("latency.svg")

    rate = {}
    for r in benches.get("publish", {}).get("rows", []):
        if r["mode"] != "zero delays" or r["metric"] != "rate" or not r["benchmark"].startswith("Publish rate, QoS 1"):
            continue
        m = re.search(r"up to (\d+) in flight", r["benchmark"])
        window = int(m.group(1)) if m else 1
        rate.setdefault("nt35e-sim", []).append((window, r["simulator"]))
        if r.get("baseline") is not None:
            rate.setdefault("direct Paho", []).append((window, r["baseline"]))
    if lines(os.path.join(results, "publish_rate.svg"), "QoS 1 publish rate against the in-flight window",
             "messages in flight", "messages/s", benches.get("publish", {}).get("machine"), rate):
        drawn.append("publish_rate.svg")

    print("plot.py: wrote " + (", ".join(drawn) if drawn else "nothing") + " in " + results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
