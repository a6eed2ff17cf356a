#!/usr/bin/python3
"""End-to-end in a real browser: the web view (--web, docs/web.md) of the real nt35e-sim in
Debian's headless Chromium, driven through chromium-driver by python3-selenium.

    web_browser_test.py --sim build/simulator/nt35e-sim CASE [--screenshot FILE]

CASE is one of CASES below:

  flow     open the page; a PTY driver runs the seed flow: the diagram grows (commands,
           URCs, MQTT packets) and the link state reaches CONNECTED, lit in the state
           machine; click a line: its explanation and spec section; the hex view; click
           "refuse next CONNECT": the next AT+ECMTCONN answers +ECMTCONN:0,0,5 on the PTY
           and on the page; switch to Chinese: the explanation is Chinese; the watch page
           has no fault buttons; --screenshot saves the page (docs/web-view.png)
  fleet    --fleet 4 --web: the grid at /fleet shows modem 2 turn CONNECTED while a PTY
           driver connects it, and its cell opens modem 2's own view
  lesson   nt35e-sim --lesson first-contact --web-console: the page lists the lessons and
           shows the first step; the learner types each command in the console (history
           with the up arrow); the lesson says "passed"

Fails at once, saying so, when chromium, chromium-driver or python3-selenium is missing
(tools/install-deps.sh installs them). Loopback only; every wait has a deadline; the browser and
the simulator are always stopped.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from control_cli_test import Dte  # noqa: E402
from simulator import Failure, Simulator, check  # noqa: E402

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
except ImportError:
    webdriver = None

FAST = ["--set", "timing.boot=0", "--set", "timing.registration=0"]
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser(workdir):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,860",
              f"--user-data-dir={os.path.join(workdir, 'chromium')}", "--no-first-run", "--disable-extensions"):
        options.add_argument(a)
    return webdriver.Chrome(service=Service(CHROMEDRIVER, log_output=os.path.join(workdir, "chromedriver.log")),
                            options=options)


def wait(what, predicate, timeout=10.0):
    """Polls `predicate` until it returns something true; Failure naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            got = predicate()
            if got:
                return got
        except WebDriverException as e:
            last = e
        time.sleep(0.1)
    raise Failure(f"waited {timeout:g} s for {what}" + (f" ({last.msg})" if last else ""))


def row_texts(d):
    # The arrow's own text, without the "!" badges the oracle's findings add to it (a
    # finding depends on the typing's timing, which these checks are not about).
    return d.execute_script(
        "return [...document.querySelectorAll('#diagram .row .arrow')].map(a => [...a.childNodes]"
        ".filter(n => !(n.classList && n.classList.contains('badge-f'))).map(n => n.textContent).join(''))")


def start(sim_path, workdir, *args):
    link = os.path.join(workdir, "nt35e")
    sim = Simulator(sim_path, workdir, ["--pty", link, "--web", "0", *FAST, *args])
    sim.wait_ready()
    check(sim.web_port, "no \"web:\" line")
    return sim, link


def case_flow(sim_path, workdir, screenshot):
    sim, link = start(sim_path, workdir)
    d = None
    try:
        d = browser(workdir)
        d.get(f"http://127.0.0.1:{sim.web_port}/")
        wait("the page to go live", lambda: d.find_element(By.ID, "conn").text == "live")
        dte = Dte(link)
        dte.command("AT", "OK")
        dte.command("AT+CEREG?", "OK")
        dte.command('AT+ECMTOPEN=0,"test.mosquitto.org",1883', "+ECMTOPEN:0,0")
        dte.command("AT+ECMTCONN=0", "+ECMTCONN:0,0,0")
        dte.command('AT+ECMTSUB=0,1,"test",2', "+ECMTSUB:0,1,0,")
        dte.command('AT+ECMTPUB=0,0,0,0,"test","hello"', "+ECMTRECV:")
        wait("the diagram to show +ECMTCONN:0,0,0", lambda: "+ECMTCONN:0,0,0" in row_texts(d))
        texts = row_texts(d)
        for want in ("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", "CONNECT", "CONNACK 0", "SUBSCRIBE", "PUBLISH"):
            check(any(t.startswith(want) for t in texts), f"the diagram lacks {want!r}: {texts}")
        wait("the link state CONNECTED", lambda: d.find_element(By.ID, "ecmt-0").get_attribute("data-state") == "CONNECTED")
        lit = d.find_element(By.CSS_SELECTOR, "#machine .st.lit").get_attribute("data-state")
        check(lit == "CONNECTED", f"the state machine lights {lit}")
        check("home" in d.find_element(By.ID, "reg").text, f"registration shows {d.find_element(By.ID, 'reg').text!r}")
        # Click the CONNACK URC: its explanation, its spec section, its bytes.
        rows = d.find_elements(By.CSS_SELECTOR, "#diagram .row")
        urc = [r for r in rows if r.text.endswith("+ECMTCONN:0,0,0")]
        check(urc, "no row for +ECMTCONN:0,0,0")
        urc[0].click()
        explanation = wait("the explanation", lambda: d.find_element(By.ID, "explanation").text)
        check("connected" in explanation, f"the explanation of +ECMTCONN:0,0,0: {explanation!r}")
        check("§5.4" in d.find_element(By.ID, "details").text, "no spec section in the details")
        d.find_element(By.CSS_SELECTOR, "#hexview summary").click()
        hexview = d.find_element(By.CSS_SELECTOR, "#hexview pre").text
        check("2B 45 43 4D 54 43 4F 4E 4E" in hexview and "+ECMTCONN" in hexview, f"the hex view: {hexview!r}")
        dte.command("AT+ECMTDISC=0", "+ECMTDISC:0,0")
        # The auth-failure button: the same control action as nt35e-ctl's.
        d.find_element(By.CSS_SELECTOR, "#faults button[data-fault=refuse_connect]").click()
        wait("the fault's confirmation", lambda: "refuse_connect" in d.find_element(By.ID, "status").text)
        dte.command('AT+ECMTOPEN=0,"test.mosquitto.org",1883', "+ECMTOPEN:0,0")
        got = dte.command("AT+ECMTCONN=0", "+ECMTCONN:0,0,", timeout=5) + dte.read_until("\r\n")
        check("+ECMTCONN:0,0,5" in got, f"the PTY got {got!r}")
        wait("+ECMTCONN:0,0,5 on the page", lambda: "+ECMTCONN:0,0,5" in row_texts(d))
        refused = [r for r in d.find_elements(By.CSS_SELECTOR, "#diagram .row") if r.text.endswith("+ECMTCONN:0,0,5")]
        check("problem" in refused[-1].get_attribute("class"), "the refusal is not marked as a problem")
        check(any(t.startswith("CONNACK 5") for t in row_texts(d)), "no CONNACK 5 on the broker's side")
        refused[-1].click()
        check("not authorized" in d.find_element(By.ID, "explanation").text, "the refusal's explanation")
        # Chinese.
        d.find_element(By.ID, "lang").click()
        zh = wait("a Chinese explanation", lambda: d.find_element(By.ID, "explanation").text)
        check(any("\u4e00" <= c <= "\u9fff" for c in zh), f"the explanation after the switch: {zh!r}")
        check(d.find_element(By.CSS_SELECTOR, "#faults button[data-fault=reboot]").text == "重启", "buttons in Chinese")
        d.find_element(By.ID, "lang").click()
        if screenshot:
            urc = [r for r in d.find_elements(By.CSS_SELECTOR, "#diagram .row") if r.text.endswith("+ECMTCONN:0,0,5")]
            urc[-1].click()
            d.save_screenshot(screenshot)
            print(f"screenshot: {screenshot}")
        # The watch page: everything visible, no buttons.
        d.get(f"http://127.0.0.1:{sim.web_port}/watch")
        wait("the watch page to go live", lambda: d.find_element(By.ID, "conn").text == "live")
        wait("the history on the watch page", lambda: "+ECMTCONN:0,0,5" in row_texts(d))
        check(not d.find_elements(By.CSS_SELECTOR, "#faults button"), "the watch page has fault buttons")
        dte.close()
    finally:
        if d:
            d.quit()
        sim.stop()


def case_lesson(sim_path, workdir, screenshot):
    sim, link = start(sim_path, workdir, "--lesson", "first-contact", "--web-console")
    d = None
    try:
        d = browser(workdir)
        d.get(f"http://127.0.0.1:{sim.web_port}/")
        wait("the page to go live", lambda: d.find_element(By.ID, "conn").text == "live")
        names = [b.get_attribute("data-lesson") for b in d.find_elements(By.CSS_SELECTOR, "#lessons button")]
        check("first-contact" in names and len(names) >= 3, f"the lessons listed: {names}")
        wait("the first step", lambda: "AT" in d.find_element(By.ID, "lesson-step").text)
        box = d.find_element(By.ID, "console-input")
        for line in ("AT", "ATE0", "AT+CPIN?", "AT+CEREG?"):
            box.send_keys(line, Keys.ENTER)
            try:
                # 20 s: a loaded CI machine once kept the page from drawing the row in 10 s.
                wait(f"{line} on the diagram", lambda: line in row_texts(d), timeout=20)
            except Failure as e:
                raise Failure(f"{e}; the last rows: {row_texts(d)[-6:]}; status line: "
                              f"{d.find_element(By.ID, 'status').text!r}") from None
        # The history: up arrow brings the last line back.
        box.send_keys(Keys.ARROW_UP)
        check(box.get_attribute("value") == "AT+CEREG?", f"history gave {box.get_attribute('value')!r}")
        box.clear()
        wait("the lesson passed", lambda: d.find_element(By.ID, "lesson-status").get_attribute("data-status") == "passed")
        if screenshot:
            d.save_screenshot(screenshot)
    finally:
        if d:
            d.quit()
        sim.stop()


def case_fleet(sim_path, workdir, screenshot):
    prefix = os.path.join(workdir, "m")
    sim = Simulator(sim_path, workdir, ["--fleet", "4", "--pty", prefix, "--web", "0", *FAST])
    d = None
    try:
        sim.wait_ready()
        d = browser(workdir)
        d.get(f"http://127.0.0.1:{sim.web_port}/fleet")
        wait("four cells", lambda: len(d.find_elements(By.CSS_SELECTOR, "#grid .cell")) == 4)
        dte = Dte(prefix + "2")
        dte.command('AT+ECMTOPEN=0,"test.mosquitto.org",1883', "+ECMTOPEN:0,0")
        dte.command("AT+ECMTCONN=0", "+ECMTCONN:0,0,0")
        cell = lambda i: d.find_element(By.CSS_SELECTOR, f"#grid .cell[data-modem='{i}']")
        wait("modem 2 green", lambda: cell(2).get_attribute("data-state") == "CONNECTED")
        check(cell(1).get_attribute("data-state") == "NONE", "modem 1 is not idle on the grid")
        check(cell(2).value_of_css_property("background-color") != cell(1).value_of_css_property("background-color"),
              "CONNECTED and idle have the same colour")
        if screenshot:
            d.save_screenshot(screenshot)
        # The cell opens that modem's own view.
        d.get(cell(2).get_attribute("href"))
        wait("modem 2's view", lambda: d.find_element(By.ID, "ecmt-0").get_attribute("data-state") == "CONNECTED")
        check("+ECMTCONN:0,0,0" in row_texts(d), "modem 2's view lacks its session")
        dte.close()
    finally:
        if d:
            d.quit()
        sim.stop()


CASES = {"flow": case_flow, "lesson": case_lesson, "fleet": case_fleet}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", required=True)
    parser.add_argument("--screenshot")
    parser.add_argument("case", choices=sorted(CASES))
    args = parser.parse_args()
    if webdriver is None or not shutil.which("chromium") or not os.path.exists(CHROMEDRIVER):
        print("FAIL web browser: chromium, chromium-driver or python3-selenium is missing; run tools/install-deps.sh",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="nt35e-browser-") as workdir:
        try:
            CASES[args.case](os.path.abspath(args.sim), workdir,
                             os.path.abspath(args.screenshot) if args.screenshot else None)
        except (Failure, WebDriverException, OSError) as e:
            print(f"FAIL web browser {args.case}: {type(e).__name__}: {e}", file=sys.stderr)
            for name in os.listdir(workdir):
                if name.endswith("stderr.txt"):
                    with open(os.path.join(workdir, name), errors="replace") as f:
                        sys.stderr.write(f.read()[-3000:])
            return 1
    print(f"ok web browser {args.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
