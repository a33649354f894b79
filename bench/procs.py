"""Server processes under test: start, wait for the first 200, memory, stop.

Every process listens on loopback only and is stopped by the id it was
started with.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` in MiB (VmRSS), or None if it has gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def _status(port: int, path: str) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


@dataclass
class Service:
    """One process under test, started by ``start``."""

    name: str
    port: int
    proc: subprocess.Popen
    start_seconds: float
    log_path: Path
    rss: dict[str, float | None] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def note_rss(self, moment: str) -> float | None:
        self.rss[moment] = rss_mb(self.proc.pid)
        return self.rss[moment]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start(
    name: str,
    argv: list[str],
    port: int,
    ready_path: str,
    log_dir: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Service:
    """Start ``argv`` and wait until ``GET ready_path`` answers 200.

    ``start_seconds`` runs from the fork to that first 200, polled every 10 ms.
    Raises RuntimeError (with the process log's tail) when it exits or takes
    longer than a minute.
    """
    log_path = log_dir / f"{name}.log"
    # The child keeps its own copy of the descriptor; ours is closed at once.
    log = open(log_path, "wb")
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if _status(port, ready_path) == 200:
            return Service(name, port, proc, time.perf_counter() - started, log_path)
        time.sleep(0.01)
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=5)
    tail = log_path.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"{name} did not answer {ready_path} with 200:\n{tail}")
