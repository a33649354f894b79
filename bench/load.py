"""Load generation: ``wrk`` when installed, else a small asyncio client.

    result = await measure(url, headers, connections=16, threads=2, seconds=10)

Both report requests per second and the 50th/99th latency percentiles of
one fixed-concurrency, closed-loop run (each connection sends its next
request as soon as the previous answer is read). A non-2xx answer or a
socket error counts as an error; a figure with errors is flagged in the
table rather than trusted.

The asyncio client is also what posts the ingest batches and runs the login
loops, since those need a different body per request.
"""

from __future__ import annotations

import asyncio
import math
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

# wrk drops answers slower than its timeout from the latency figures; a long
# one keeps slow endpoints honest.
WRK_TIMEOUT = "30s"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class LoadResult:
    name: str
    requests: int
    seconds: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int
    tool: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(sorted_values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile of an ascending sequence."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


# --- wrk ------------------------------------------------------------------------


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(name: str, output: str) -> LoadResult:
    """Requests, duration, p50/p99 and errors out of ``wrk --latency`` output."""
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if total is None:
        raise ValueError(f"wrk printed no totals:\n{output}")
    seconds = _ms(total.group(2) + total.group(3)) / 1000
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.M)
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if sockets:
        errors += sum(int(n) for n in sockets.groups())
    return LoadResult(
        name,
        int(total.group(1)),
        seconds,
        _ms(p50.group(1)) if p50 else None,
        _ms(p99.group(1)) if p99 else None,
        errors,
        "wrk",
    )


async def run_wrk(
    name: str,
    url: str,
    headers: dict[str, str],
    connections: int,
    threads: int,
    seconds: float,
) -> LoadResult:
    argv = [
        "wrk",
        "--latency",
        f"--timeout={WRK_TIMEOUT}",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
    ]
    for key, value in headers.items():
        argv += ["-H", f"{key}: {value}"]
    argv.append(url)
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    # wrk stops itself after ``seconds``; the extra margin covers its timeout.
    out, _ = await asyncio.wait_for(proc.communicate(), seconds + 60)
    return parse_wrk(name, out.decode(errors="replace"))


# --- the asyncio client ---------------------------------------------------------


class HttpConnection:
    """One keep-alive HTTP/1.1 connection (Content-Length or chunked answers)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port
            )
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()

        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        found = {}
        for line in header_lines:
            if ":" in line:
                key, _, value = line.partition(":")
                found[key.strip().lower()] = value.strip()
        if "content-length" in found:
            payload = await self.reader.readexactly(int(found["content-length"]))
        elif found.get("transfer-encoding", "").lower() == "chunked":
            payload = await self._chunked()
        else:
            payload = b""
        if found.get("connection", "").lower() == "close":
            self.close()
        return status, payload

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def run_client(
    name: str,
    url: str,
    headers: dict[str, str],
    connections: int,
    seconds: float,
    make_request: Callable[[int], tuple[str, bytes]] | None = None,
    max_requests: int | None = None,
) -> LoadResult:
    """Closed-loop load from ``connections`` coroutines for ``seconds``.

    By default every request is ``GET url``; ``make_request(i)`` may instead
    give the method and body of the i-th request (``(method, b"")`` for no
    body). Stops at ``seconds`` or after ``max_requests``, whichever is first.
    """
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = 0
    issued = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors, issued
        conn = HttpConnection(parts.hostname or "127.0.0.1", parts.port or 80)
        try:
            while time.perf_counter() < deadline:
                if max_requests is not None and issued >= max_requests:
                    return
                index = issued
                issued += 1
                method, body = make_request(index) if make_request else ("GET", b"")
                sent = time.perf_counter()
                try:
                    status, _ = await conn.request(method, path, headers, body)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    conn.close()
                    continue
                latencies.append((time.perf_counter() - sent) * 1000)
                if not 200 <= status < 300:
                    errors += 1
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return LoadResult(
        name,
        len(latencies),
        elapsed,
        percentile(latencies, 50),
        percentile(latencies, 99),
        errors,
        "asyncio",
    )


async def measure(
    name: str,
    url: str,
    headers: dict[str, str],
    connections: int,
    threads: int,
    seconds: float,
    use_wrk: bool = True,
) -> LoadResult:
    """GET ``url`` under load with wrk if present, else the asyncio client."""
    if use_wrk and have_wrk():
        return await run_wrk(name, url, headers, connections, threads, seconds)
    return await run_client(name, url, headers, connections, seconds)
