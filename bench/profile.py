"""Optional sampling profiles of the server while one step loads it.

    profiler = Profiler(out_dir, server_pid)
    result = await profiler.record("assets", some_coroutine)

Each step leaves ``out_dir/NAME.txt`` (py-spy's collapsed stacks, the input
of any flame-graph tool) and ``out_dir/NAME.top.txt``: the functions that
were on the CPU most (self) and those that were on the stack most
(inclusive), as shares of all samples. Sampling does not pause the server
(``--nonblocking``), so the figures of a profiled run stay close to an
unprofiled one, but the table of a profiled run should not be published.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from collections import Counter
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
TOP = 25


def _py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def summarize(collapsed: Path, top: int = TOP) -> str:
    """Self and inclusive sample shares per function from collapsed stacks."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    if not total:
        return "no samples\n"
    out = [f"{total} samples", "", "self:"]
    out += [f"{100 * n / total:6.1f}%  {f}" for f, n in own.most_common(top)]
    out += ["", "inclusive:"]
    out += [f"{100 * n / total:6.1f}%  {f}" for f, n in inclusive.most_common(top)]
    return "\n".join(out) + "\n"


class Profiler:
    def __init__(self, out_dir: Path, pid: int) -> None:
        self.out_dir = out_dir
        self.pid = pid
        self.tool = _py_spy()
        if self.tool is None:
            raise RuntimeError("py-spy is not installed (bench/requirements.txt)")
        out_dir.mkdir(parents=True, exist_ok=True)

    async def record(self, name: str, step: Awaitable[T]) -> T:
        """Run ``step`` while py-spy samples the server; stop it right after."""
        raw = self.out_dir / f"{name}.txt"
        assert self.tool is not None
        spy = await asyncio.create_subprocess_exec(
            self.tool,
            "record",
            "--pid",
            str(self.pid),
            "--format",
            "raw",
            "--nolineno",
            "--nonblocking",
            "--output",
            str(raw),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            return await step
        finally:
            # py-spy writes its file when interrupted.
            spy.send_signal(signal.SIGINT)
            await asyncio.wait_for(spy.wait(), 30)
            if raw.exists():
                (self.out_dir / f"{name}.top.txt").write_text(summarize(raw))
