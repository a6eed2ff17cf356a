#!/usr/bin/python3
"""Checks the code against the layer tables of docs/architecture.md.

The tables are the one statement of the architecture; this script holds the code to it:

* every `#include "folder/file.hpp"` of a source under simulator/ must go to its own layer
  or to a layer its row lists under "may include";
* every third-party include (<boost/...>, <mqtt/...>, <nlohmann/...>, <openssl/...>, POSIX
  headers) must be one its row lists under "libraries";
* the core reads no clock of its own (time comes in as a parameter);
* with --targets FILE (written by CMake at configure time): every library target of ours
  links only the targets its row in the target table allows.

Exit status 0 when everything holds; 1 with one line per breach (file:line: what and why).
`--inject FILE:HEADER` pretends FILE also includes HEADER, to prove the check fails.
Standard library only.
"""

import argparse
import fnmatch
import pathlib
import re
import sys

POSIX_HEADERS = {
    "unistd.h", "fcntl.h", "termios.h", "pty.h", "poll.h", "iconv.h", "netdb.h", "signal.h", "errno.h",
    "pthread.h", "dirent.h", "dlfcn.h", "grp.h", "pwd.h", "spawn.h", "syslog.h", "utmp.h",
}
CLOCK_READS = re.compile(
    r"\b(std::time\s*\(|time\s*\(\s*(nullptr|NULL|0)\s*\)|system_clock::now|steady_clock::now|"
    r"high_resolution_clock::now|clock_gettime|gettimeofday)")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def read_tables(doc):
    """Returns (layer rows, target rows) from the two tables of the architecture page."""
    layers, targets = [], {}
    table = None
    for line in doc.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if not line.startswith("|"):
            table = None
            continue
        head = [c.lower() for c in cells]
        if head[:4] == ["layer", "files", "may include", "libraries"]:
            table = "layers"
            continue
        if head[:2] == ["target", "may link"]:
            table = "targets"
            continue
        if table is None or set(line.replace("|", "").strip()) <= set("-: "):
            continue
        if table == "layers":
            name, files, uses, libs = cells[:4]
            layers.append({
                "name": name,
                "files": [f.strip().strip("`") for f in files.split(",") if f.strip()],
                "uses": {u.strip().strip("`") for u in uses.split(",") if u.strip() and u.strip() != "—"},
                "libs": {l.strip().strip("`") for l in libs.split(",") if l.strip() and l.strip() != "—"},
                "core": len(cells) > 4 and cells[4].lower() == "core",
            })
        else:
            name, links = cells[:2]
            targets[name] = {t.strip().strip("`") for t in links.split(",") if t.strip() and t.strip() != "—"}
    core = {row["name"] for row in layers if row["core"]}
    for row in layers:
        if "core" in row["uses"]:
            row["uses"] = (row["uses"] - {"core"}) | core
    return layers, targets


def layer_of(path, layers):
    """The row whose file pattern matches `path` (relative to simulator/) most specifically."""
    best, best_len = None, -1
    for row in layers:
        for pattern in row["files"]:
            if fnmatch.fnmatchcase(path, pattern) and len(pattern) > best_len:
                best, best_len = row, len(pattern)
    return best


def library_of(header):
    """Which third-party library an angle-bracket include belongs to, or None for the standard library."""
    top = header.split("/", 1)[0]
    if top == "boost":
        return "boost"
    if top == "mqtt" or header.startswith("MQTTAsync") or header.startswith("MQTTClient"):
        return "paho"
    if top == "nlohmann":
        return "nlohmann"
    if top == "openssl":
        return "openssl"
    if top == "gtest" or top == "gmock":
        return "gtest"
    if top in ("sys", "netinet", "arpa", "net") or header in POSIX_HEADERS:
        return "posix"
    if top == "CLI":
        return "cli11"
    return None


def check_sources(src, layers, inject):
    breaches = []
    files = sorted(p for p in src.rglob("*") if p.suffix in (".hpp", ".cpp", ".h"))
    for path in files:
        rel = path.relative_to(src).as_posix()
        row = layer_of(rel, layers)
        if row is None:
            breaches.append(f"{src / rel}: belongs to no layer of docs/architecture.md (add it to a row)")
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        extra = [(0, '"', h) for f, h in inject if f == rel]
        found = [(n, *m.groups()) for n, line in enumerate(lines, 1) if (m := INCLUDE.match(line))]
        for number, kind, header in found + extra:
            where = f"{src / rel}:{number}"
            if kind == '"':
                target = layer_of(header, layers)
                if target is None:
                    if not (src / header).exists() and not (path.parent / header).exists():
                        continue  # a generated or test-side header: not ours to place
                    breaches.append(f"{where}: includes \"{header}\", which belongs to no layer")
                elif target is not row and target["name"] not in row["uses"]:
                    breaches.append(f"{where}: layer {row['name']} includes \"{header}\" of layer "
                                    f"{target['name']}, which it may not use (allowed: "
                                    f"{', '.join(sorted(row['uses'])) or 'nothing'})")
            else:
                lib = library_of(header)
                if lib is not None and lib not in row["libs"]:
                    breaches.append(f"{where}: layer {row['name']} includes <{header}> ({lib}), "
                                    f"which it may not use")
        if row["core"]:
            for number, line in enumerate(lines, 1):
                code = line.split("//", 1)[0]
                if CLOCK_READS.search(code):
                    breaches.append(f"{src / rel}:{number}: the core reads a clock; time must come in as a parameter")
    return breaches


def check_targets(targets_file, allowed):
    breaches = []
    for line in targets_file.read_text(encoding="utf-8").splitlines():
        if ":" not in line:
            continue
        name, links = line.split(":", 1)
        name = name.strip()
        if name not in allowed:
            breaches.append(f"{targets_file}: target {name} is missing from the target table")
            continue
        ours = {l for l in links.replace(";", " ").split() if l.startswith("nt35e_")}
        for dep in sorted(ours - allowed[name] - {"nt35e_options"}):
            breaches.append(f"{targets_file}: target {name} links {dep}, which the target table does not allow")
    return breaches


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc", required=True, type=pathlib.Path)
    parser.add_argument("--src", required=True, type=pathlib.Path)
    parser.add_argument("--targets", type=pathlib.Path)
    parser.add_argument("--inject", action="append", default=[], metavar="FILE:HEADER")
    args = parser.parse_args()
    layers, targets = read_tables(args.doc)
    if not layers or not targets:
        print(f"{args.doc}: no layer table or no target table found", file=sys.stderr)
        return 1
    inject = [tuple(i.split(":", 1)) for i in args.inject]
    breaches = check_sources(args.src, layers, inject)
    if args.targets:
        breaches += check_targets(args.targets, targets)
    for b in breaches:
        print(b)
    if breaches:
        print(f"{len(breaches)} breach(es) of the layering in {args.doc}", file=sys.stderr)
        return 1
    print(f"layering holds: {len(layers)} layers, {len(targets)} targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
