"""OPENAPI-2: Schemathesis against the reference spec reports zero failures.

Starts the real server (``run.py serve``) on a free port over a fresh data
directory with rate limiting disabled (RL-8), mints a key holding the five
public scopes, and runs the Schemathesis CLI with every check except the two
the contract excludes. Select it with ``-m conformance``; it takes a few
minutes on two cores.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "contract" / "openapi.public.yaml"
SCOPES = "assets:read,assets:write,locations:read,locations:write,tracking:read"
MAX_EXAMPLES = int(os.environ.get("CONFORMANCE_MAX_EXAMPLES", "25"))

pytestmark = pytest.mark.conformance


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "run.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def _wait_ready(url: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited during start-up")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not become ready")


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = dict(os.environ)
    env.update(
        TRAKRF_SERVER_DATA_DIR=str(tmp_path / "data"),
        TRAKRF_SERVER_PORT=str(port),
        TRAKRF_DATABASE_URL="",
        TRAKRF_RATE_LIMIT_ENABLED="false",
        TRAKRF_AUTH_BCRYPT_ROUNDS="4",
    )
    _cli(
        env,
        "create-user",
        "conformance@example.com",
        "--org",
        "Conformance",
        stdin="conformance password\n",
    )
    token = _cli(env, "mint-key", "1", "conformance", "--scopes", SCOPES)
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "run.py", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
        yield f"http://127.0.0.1:{port}", token, tmp_path / "server.log"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_schemathesis_reports_no_failures(server, tmp_path):
    """OPENAPI-2…4 over every operation built so far."""
    if not SPEC.exists():
        pytest.fail(f"the reference spec is missing: {SPEC}")
    base, token, server_log = server
    exe = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert exe, "schemathesis is not installed (requirements-test.txt)"
    command = [
        exe,
        "run",
        str(SPEC),
        "--url",
        base,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance,negative_data_rejection",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "20260515",
        # One worker: with several, Hypothesis' lambda descriptions race in
        # ast.parse on Python 3.11 and abort the run with a runtime error.
        "--workers",
        "1",
        "--no-color",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=900, cwd=tmp_path
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        tail = server_log.read_text()[-4000:]
        pytest.fail(f"schemathesis reported failures:\n{output[-20000:]}\n{tail}")
    # every operation of the spec was exercised
    assert "Selected: 22/22" in output and "Tested: 22" in output, output[-4000:]
