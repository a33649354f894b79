"""Smoke test of the single executable ``dist/trakrf-server`` (``make binary``).

Runs the built file as an operator would: an empty folder, ``serve`` on a free
port, a signup and an API key over HTTP, another account and key from the
command line, a few requests, a restart on the same folder.
Skipped when the executable was not built, except in CI (``CI=true``), where a
missing executable fails.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import jwt
import pytest

ROOT = Path(__file__).resolve().parents[1]
BINARY = Path(os.environ.get("TRAKRF_BINARY", ROOT / "dist" / "trakrf-server"))
IN_CI = os.environ.get("CI", "").lower() == "true"

if not BINARY.is_file() and not IN_CI:
    pytest.skip(
        f"{BINARY} not built (make binary); required when CI=true",
        allow_module_level=True,
    )


def _env() -> dict[str, str]:
    # Only the defaults: no configuration from the calling shell leaks in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAKRF_")}
    env["TRAKRF_AUTH_BCRYPT_ROUNDS"] = "4"
    return env


def _run(cwd: Path, *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [str(BINARY), *args],
        cwd=cwd,
        env=_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fetch(
    url: str, token: str | None = None, body: dict | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.data = json.dumps(body).encode("utf-8")
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def _sign_up(base: str) -> tuple[str, dict]:
    """Sign up over HTTP as the web app does, then mint a key with the session."""
    status, _, body = _fetch(
        base + "/api/v1/auth/signup",
        body={
            "email": "ops@example.com",
            "password": "a long password",
            "org_name": "Smoke Test",
        },
    )
    assert status == 201, body
    session = json.loads(body)["data"]["token"]
    org_id = jwt.decode(session, options={"verify_signature": False})["current_org_id"]
    status, _, body = _fetch(
        f"{base}/api/v1/orgs/{org_id}/api-keys",
        session,
        {"name": "smoke", "scopes": ["assets:read", "tracking:read"]},
    )
    assert status == 201, body
    return json.loads(body)["data"]["token"], {"id": org_id, "name": "Smoke Test"}


class Server:
    """``trakrf-server serve`` in ``cwd`` until stopped."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(cwd / f"serve-{self.port}.log", "w")  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                [str(BINARY), "serve", "--port", str(self.port)],
                cwd=cwd,
                env=_env(),
                stdout=self.log,
                stderr=subprocess.STDOUT,
            )
        except OSError:
            self.log.close()
            raise
        self.seconds_to_ready = self._wait_ready()

    def _wait_ready(self) -> float:
        started = time.monotonic()
        while time.monotonic() - started < 30:
            assert self.process.poll() is None, self.output()
            try:
                if _fetch(self.base + "/healthz")[0] == 200:
                    return time.monotonic() - started
            except OSError:
                time.sleep(0.05)
        raise AssertionError("server not ready after 30 s:\n" + self.output())

    def output(self) -> str:
        self.log.flush()
        return (self.cwd / f"serve-{self.port}.log").read_text()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        finally:
            self.log.close()


@pytest.fixture
def workdir(tmp_path: Path):
    servers: list[Server] = []
    yield tmp_path, servers
    for server in servers:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
            server.log.close()


def test_binary_exists_when_ci():
    assert BINARY.is_file(), f"{BINARY} missing: CI must build it (make binary)"
    assert os.access(BINARY, os.X_OK)


def test_version_matches_the_package(tmp_path):
    from trakrf_server import __version__

    assert _run(tmp_path, "--version").strip() == f"trakrf-server {__version__}"


def test_sample_config_comes_with_the_executable(tmp_path):
    from trakrf_server.config import Config, load_config

    file = tmp_path / "config.toml"
    file.write_text(_run(tmp_path, "sample-config"))
    assert "[rate_limit]" in file.read_text()
    assert load_config(file, env={}) == Config()


def test_serve_sign_up_restart(workdir):
    cwd, servers = workdir
    server = Server(cwd)
    servers.append(server)

    # An account and a key the way a new user gets them, over HTTP.
    key, org = _sign_up(server.base)
    status, _, body = _fetch(server.base + "/api/v1/orgs/me", key)
    assert status == 200, body
    assert json.loads(body)["data"] == {
        **org,
        "scopes": ["assets:read", "tracking:read"],
        "api_key_id": json.loads(body)["data"]["api_key_id"],
    }

    # And the operator's way: the executable's own command line, next to the
    # running server on the same data folder.
    said = _run(
        cwd,
        "create-user",
        "admin@example.com",
        "--org",
        "Second Org",
        stdin="another long password\n",
    )
    assert "Second Org" in said
    cli_key = _run(
        cwd, "mint-key", "second-org", "cli", "--scopes", "locations:read"
    ).strip()
    status, _, body = _fetch(server.base + "/api/v1/orgs/me", cli_key)
    assert status == 200, body
    second = json.loads(body)["data"]
    assert (second["name"], second["scopes"]) == ("Second Org", ["locations:read"])

    # The web app shell, when the checkout has one, and the API reference.
    status, headers, body = _fetch(server.base + "/")
    if (ROOT / "static" / "index.html").is_file():
        assert status == 200 and headers["Content-Type"].startswith("text/html")
    else:
        assert status == 404
    status, headers, body = _fetch(server.base + "/api")
    assert status == 200 and b"/api/reference/swagger-ui-bundle.js" in body
    status, _, body = _fetch(server.base + "/api/reference/swagger-ui-bundle.js")
    assert status == 200 and len(body) > 100_000
    status, _, body = _fetch(server.base + "/api/openapi.json")
    assert status == 200 and "/api/v1/orgs/me" in json.loads(body)["paths"]

    assert server.stop() == 0

    # The data lives where the server was started, not in the unpack folder.
    assert (cwd / "data" / "trakrf.db").is_file()
    assert (cwd / "data" / "secret.key").is_file()

    again = Server(cwd)
    servers.append(again)
    for token, expected in ((key, "Smoke Test"), (cli_key, "Second Org")):
        status, _, body = _fetch(again.base + "/api/v1/orgs/me", token)
        assert status == 200, body
        assert json.loads(body)["data"]["name"] == expected
    assert again.stop() == 0


def _closure(requirement_files: list[str]) -> set[str]:
    """Installed distributions these files ask for, with what they need in turn."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    todo = []
    for name in requirement_files:
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-"):
                todo.append(Requirement(line).name)
    seen: set[str] = set()
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        try:
            needs = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for text in needs:
            wanted = Requirement(text)
            if wanted.marker is None or wanted.marker.evaluate({"extra": ""}):
                todo.append(wanted.name)
    return seen


def test_bundle_leaves_out_what_only_the_tests_need():
    # Test tools in the same .venv (make test) bring packages that runtime
    # dependencies import only if present (pydantic → rich → pygments, redis →
    # requests, dnspython → anyio); they must not ride along in the executable.
    readers = pytest.importorskip("PyInstaller.archive.readers")
    from importlib import metadata

    from packaging.utils import canonicalize_name

    needed = _closure(["requirements.txt", "requirements-build.txt"])
    test_only = _closure(["requirements-test.txt"]) - needed
    owners = metadata.packages_distributions()
    test_modules = {
        top
        for top, dists in owners.items()
        if {canonicalize_name(d) for d in dists} <= test_only
    }
    archive = readers.CArchiveReader(str(BINARY))
    pyz = archive.open_embedded_archive(
        next(name for name in archive.toc if name.startswith("PYZ"))
    )
    bundled = {name.split(".")[0] for name in pyz.toc}
    assert not sorted(bundled & test_modules)
