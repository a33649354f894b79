"""The example systemd unit ``docs/trakrf-server.service``, as an operator uses it.

The unit is installed as shipped, or with its commented configuration-file
variant uncommented. Either way systemd must accept it (a ``Type=simple``
service runs exactly one ``ExecStart=`` command) and the command must be one
the executable understands.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from trakrf_server.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "docs" / "trakrf-server.service"
EXECUTABLE = "/usr/local/bin/trakrf-server"


def _shipped() -> str:
    return UNIT.read_text(encoding="utf-8")


def _config_file_variant() -> str:
    """The unit after uncommenting the ``# ExecStart=`` lines, as it says to."""
    lines = _shipped().splitlines()
    return "\n".join(
        line.removeprefix("# ") if line.startswith("# ExecStart=") else line
        for line in lines
    )


def _service_settings(text: str) -> list[tuple[str, str]]:
    section, found = "", []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            found.append((key.strip(), value.strip()))
    return found


def _start_commands(text: str) -> list[str]:
    """ExecStart= commands as systemd sees them: an empty one resets the list."""
    commands: list[str] = []
    for key, value in _service_settings(text):
        if key == "ExecStart":
            commands = [*commands, value] if value else []
    return commands


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        (_shipped, ["serve", "--host", "0.0.0.0", "--port", "8080"]),
        (_config_file_variant, ["serve", "--config", "/etc/trakrf-server/config.toml"]),
    ],
    ids=["shipped", "config-file"],
)
def test_each_variant_starts_exactly_one_valid_command(variant, expected):
    commands = _start_commands(variant())
    assert len(commands) == 1, commands
    argv = shlex.split(commands[0])
    assert argv[0] == EXECUTABLE
    assert argv[1:] == expected
    build_parser().parse_args(argv[1:])  # exits (SystemExit) on a bad argument


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed"
)
@pytest.mark.parametrize("variant", [_shipped, _config_file_variant])
def test_systemd_accepts_each_variant(variant, tmp_path):
    # verify insists the program exists; any executable stands in for it.
    stand_in = shutil.which("true")
    unit = tmp_path / "trakrf-server.service"
    unit.write_text(variant().replace(EXECUTABLE, stand_in), encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
