"""Browser fixtures: the real server in a subprocess and Debian's Chromium.

The server runs as ``python run.py serve`` on a free port with its own data
directory; its log goes to a file so tests can read mailed links (INT-21: with
no SMTP configured the link is logged at WARNING).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).absolute().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"

needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def mailed_link(self, email: str, fragment: str, timeout: float = 5.0) -> str:
        """The newest link logged for a mail to ``email`` containing ``fragment``."""
        pattern = re.compile(
            rf"WARNING trakrf\.mail: mail to {re.escape(email)} .*?(https?://\S*"
            rf"{re.escape(fragment)}\S*)"
        )
        deadline = time.monotonic() + timeout
        while True:
            found = pattern.findall(self.log())
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {email} with {fragment} in the log")
            time.sleep(0.1)


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("browser-data")
    port = _free_port()
    log_path = data / "server.log"
    env = dict(os.environ)
    env.update(
        TRAKRF_RATE_LIMIT_ENABLED="false",
        TRAKRF_AUTH_BCRYPT_ROUNDS="4",
        TRAKRF_SERVER_PUBLIC_URL=f"http://127.0.0.1:{port}",
        TRAKRF_MAIL_SMTP_HOST="",
        TRAKRF_DATABASE_URL="",
    )
    cmd = [sys.executable, "run.py", "serve", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--data-dir", str(data / "db")]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"server did not start:\n{log_path.read_text()}")
        time.sleep(0.1)
    yield Server(url, log_path)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


# Package scope: Playwright's sync driver owns an event loop while it runs, so it
# is shut down before the rest of the suite's Tornado tests start.
@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


class PageProblems(list):
    """Console errors, CSP violations and uncaught exceptions seen by a page."""


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = PageProblems()

    def on_console(msg):
        # A 4xx the app handles on purpose (401 after revocation, 409 on delete)
        # is logged by Chromium as a failed resource; anything else is a defect.
        if msg.type == "error" and "Failed to load resource" not in msg.text:
            problems.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.problems = problems
    yield page
    context.close()


@pytest.fixture(scope="session")
def shots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
