"""Configuration layering and the command line."""

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from trakrf_server.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_file_env_and_flags(tmp_path):
    file = tmp_path / "c.toml"
    file.write_text("[server]\nport = 9000\n[rate_limit]\nenabled = true\n")
    config = load_config(
        file,
        {"server.host": "0.0.0.0"},
        env={"TRAKRF_RATE_LIMIT_ENABLED": "false", "TRAKRF_SERVER_PORT": "9100"},
    )
    assert config.server.port == 9100  # env beats file
    assert config.rate_limit.enabled is False
    assert config.server.host == "0.0.0.0"  # flag
    assert config.auth.session_lifetime == 3600  # default


def test_shipped_config_matches_defaults():
    from trakrf_server.config import Config

    assert load_config(ROOT / "config.toml", env={}) == Config()


def test_public_base_follows_the_listening_address():
    # INT-21, INT-32: mailed links start at the server's public URL. Unset, it
    # is where the server listens, so `TRAKRF_SERVER_PORT=9090 make serve`
    # keeps reset links on port 9090 instead of replacing them with 8080.
    from trakrf_server.services.resets import reset_link

    moved = load_config(ROOT / "config.toml", env={"TRAKRF_SERVER_PORT": "9090"})
    assert moved.public_base == "http://127.0.0.1:9090"
    own = "http://127.0.0.1:9090/#reset-password"
    assert reset_link(own, moved.public_base, "t") == f"{own}?token=t"
    wildcard = load_config(None, {"server.host": "0.0.0.0"}, env={})
    assert wildcard.public_base == "http://127.0.0.1:8080"
    v6 = load_config(None, {"server.host": "::1", "server.port": 81}, env={})
    assert v6.public_base == "http://[::1]:81"
    set_ = load_config(None, env={"TRAKRF_SERVER_PUBLIC_URL": "https://t.example"})
    assert set_.public_base == "https://t.example"


@pytest.mark.parametrize(
    "env",
    [
        {"TRAKRF_SERVER_PORT": "eighty"},
        {"TRAKRF_RATE_LIMIT_ENABLED": "maybe"},
        {"TRAKRF_SERVER_NOPE": "1"},
    ],
)
def test_bad_values_are_config_errors(env):
    with pytest.raises(ConfigError):
        load_config(None, env=env)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        # bcrypt refuses other costs: every signup and login would be a 500.
        ({"TRAKRF_AUTH_BCRYPT_ROUNDS": "99"}, "auth.bcrypt_rounds must be from 4"),
        ({"TRAKRF_AUTH_BCRYPT_ROUNDS": "3"}, "auth.bcrypt_rounds must be from 4"),
        # Session tokens would be expired before the web app could use them.
        ({"TRAKRF_AUTH_SESSION_LIFETIME": "0"}, "auth.session_lifetime must be"),
        ({"TRAKRF_AUTH_SESSION_LIFETIME": "-5"}, "auth.session_lifetime must be"),
        # An empty bucket or no refill refuses every API-key request (RL-1).
        ({"TRAKRF_RATE_LIMIT_BURST": "0"}, "rate_limit.burst must be from 1"),
        ({"TRAKRF_RATE_LIMIT_PER_MINUTE": "0"}, "rate_limit.per_minute must be"),
        ({"TRAKRF_RATE_LIMIT_STORE": "reddis"}, "rate_limit.store must be one of"),
        # config.toml: read queries need at least one thread to run on.
        ({"TRAKRF_DATABASE_READ_THREADS": "0"}, "database.read_threads must be"),
        ({"TRAKRF_DATABASE_READ_THREADS": "-1"}, "database.read_threads must be"),
        # Every mailed reset and invitation link would be broken.
        ({"TRAKRF_SERVER_PUBLIC_URL": "trakrf.example.com"}, "server.public_url"),
        ({"TRAKRF_SERVER_PUBLIC_URL": "ftp://example.com"}, "server.public_url"),
        ({"TRAKRF_SERVER_PUBLIC_URL": "https://example.com:x"}, "server.public_url"),
    ],
)
def test_values_the_server_cannot_work_with_are_config_errors(env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, env=env)


def test_edge_values_of_checked_settings_load():
    config = load_config(
        None,
        env={
            "TRAKRF_AUTH_BCRYPT_ROUNDS": "31",
            "TRAKRF_AUTH_SESSION_LIFETIME": "1",
            "TRAKRF_RATE_LIMIT_BURST": "1",
            "TRAKRF_RATE_LIMIT_PER_MINUTE": "1",
            "TRAKRF_RATE_LIMIT_STORE": "redis",
            "TRAKRF_DATABASE_READ_THREADS": "1",
        },
    )
    assert config.database.read_threads == 1
    assert config.auth.bcrypt_rounds == 31
    assert config.rate_limit.store == "redis"
    assert load_config(None, env={"TRAKRF_AUTH_BCRYPT_ROUNDS": "4"}).auth
    for url in ("", "https://trakrf.example.com", "http://10.0.0.5:8080/"):
        env = {"TRAKRF_SERVER_PUBLIC_URL": url}
        assert load_config(None, env=env).server.public_url == url


def run_cli(*args, stdin="", cwd=None, env=None):
    """``run.py`` in a child process; ``env`` adds variables to the current ones."""
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_sample_config_prints_the_documented_defaults(tmp_path):
    printed = run_cli("sample-config")
    assert printed.returncode == 0
    assert printed.stdout == (ROOT / "config.toml").read_text(encoding="utf-8")

    # What it prints is a file the server accepts, and it changes nothing.
    from trakrf_server.config import Config

    file = tmp_path / "config.toml"
    file.write_text(printed.stdout)
    assert load_config(file, env={}) == Config()


def test_cli_wrong_arguments_exit_2():
    assert run_cli().returncode == 2
    assert run_cli("frobnicate").returncode == 2
    bad = run_cli("mint-key")
    assert bad.returncode == 2 and "required" in bad.stderr


def test_cli_version():
    from trakrf_server import __version__

    assert run_cli("version").stdout.strip() == f"trakrf-server {__version__}"
    assert run_cli("--version").stdout.strip() == f"trakrf-server {__version__}"


def test_cli_create_user_and_mint_key(tmp_path):
    data = str(tmp_path / "data")
    short = run_cli("create-user", "x@example.com", "--data-dir", data, stdin="short\n")
    assert short.returncode == 2 and "at least 8" in short.stderr

    made = run_cli(
        "create-user",
        "ann@example.com",
        "--org",
        "Acme Corp",
        "--data-dir",
        data,
        stdin="a long password\n",
    )
    assert made.returncode == 0, made.stderr
    assert "acme-corp" in made.stdout

    again = run_cli(
        "create-user", "ANN@example.com", "--data-dir", data, stdin="another pw1\n"
    )
    assert again.returncode == 1 and "Email already exists" in again.stderr

    bad_scope = run_cli(
        "mint-key", "acme-corp", "k", "--scopes", "assets:fly", "--data-dir", data
    )
    assert bad_scope.returncode == 2

    minted = run_cli(
        "mint-key",
        "acme-corp",
        "sync",
        "--scopes",
        "assets:read,tracking:read",
        "--data-dir",
        data,
    )
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip()
    assert token.count(".") == 2

    missing = run_cli(
        "mint-key", "no-such-org", "k", "--scopes", "assets:read", "--data-dir", data
    )
    assert missing.returncode == 1 and "not found" in missing.stderr

    migrated = run_cli("migrate", "--data-dir", data)
    assert migrated.returncode == 0 and "applied 0 migration(s)" in migrated.stdout


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])
def test_create_user_refuses_a_password_that_is_not_utf8(tmp_path, errors):
    # Whether the locale decodes standard input strictly or not, bytes that are
    # not UTF-8 were a traceback (from the decoder, or from bcrypt's encode).
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "create-user", "x@example.com"]
        + ["--data-dir", str(tmp_path / "data")],
        input=b"\xff\xfe a long password\n",
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": f"utf-8:{errors}"},
    )
    said = done.stderr.decode()
    assert done.returncode == 2, said
    assert said.startswith("error: password must be valid UTF-8 text"), said


def test_cli_applies_the_http_rules_to_what_it_creates(tmp_path):
    # INT-30 (valid e-mail), INT-50 and INT-81 (names 1-255), VAL-9 (no control
    # characters), ID-1: what the command line creates is what the HTTP API
    # would accept, and an organization argument out of the id range is
    # simply not found rather than a traceback.
    data = str(tmp_path / "data")
    pw = "a long password\n"
    for args in (
        ("create-user", "not-an-email"),
        ("create-user", "b@example.com", "--org", ""),
        ("create-user", "b@example.com", "--org", "Bell\x07Org"),
        ("create-user", "b@example.com", "--org", "o" * 256),
        # a role belongs to the organization --org creates; alone it would
        # be dropped silently, leaving a user with no role anywhere
        ("create-user", "b@example.com", "--role", "manager"),
    ):
        bad = run_cli(*args, "--data-dir", data, stdin=pw)
        assert bad.returncode == 2, (args, bad.stderr)
        assert bad.stderr.startswith("error: "), bad.stderr
    made = run_cli(
        "create-user", "ann@example.com", "--org", "Acme", "--data-dir", data, stdin=pw
    )
    assert made.returncode == 0, made.stderr
    for name in ("", "tab\x01key", "k" * 256):
        bad = run_cli(
            "mint-key", "acme", name, "--scopes", "assets:read", "--data-dir", data
        )
        assert bad.returncode == 2, (name, bad.stderr)
        assert bad.stderr.startswith("error: NAME "), bad.stderr
    for org in ("99999999999999999999", "2147483648", "\u00b2"):
        missing = run_cli(
            "mint-key", org, "k", "--scopes", "assets:read", "--data-dir", data
        )
        assert missing.returncode == 1, (org, missing.stderr)
        assert "not found" in missing.stderr and "Traceback" not in missing.stderr


def test_serve_starts_creates_data_dir_and_stops_cleanly(tmp_path):
    import os
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = tmp_path / "fresh" / "data"
    env = {**os.environ, "TRAKRF_SERVER_DATA_DIR": str(data)}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as r:
                    assert r.read() == b"ok"
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert (data / "trakrf.db").exists()
        assert (data / "secret.key").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, output
    assert "shutting down" in output


@pytest.mark.parametrize(
    "env",
    [
        {"TRAKRF_SERVER_PORT": "99999"},
        {"TRAKRF_SERVER_PORT": "-1"},
        {"TRAKRF_MQTT_PORT": "0"},
        {"TRAKRF_MAIL_SMTP_PORT": "65536"},
    ],
)
def test_ports_out_of_range_are_config_errors(env):
    with pytest.raises(ConfigError, match="must be a port from [01] to 65535"):
        load_config(None, env=env)


def test_serve_on_port_zero_logs_the_port_it_got(tmp_path):
    # server.port 0: the system picks a free port; the log names the real one
    import select

    server = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "serve", "--port", "0"]
        + ["--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        said = ""
        while "listening on" not in said:
            ready, _, _ = select.select([server.stdout], [], [], 30)
            assert ready and server.poll() is None, said
            said += server.stdout.readline()
        port = int(said.split("listening on http://127.0.0.1:")[1].split(" ")[0])
        assert port > 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as answer:
            assert answer.status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()


def test_cli_refuses_a_port_it_could_not_listen_on(tmp_path):
    # Without the check the socket layer would listen on 99999 % 65536.
    bad = run_cli("serve", "--port", "99999", "--data-dir", str(tmp_path))
    assert bad.returncode == 2
    assert "server.port must be a port from 0 to 65535" in bad.stderr


def test_serve_on_a_taken_port_says_so(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli(
            "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")
        )
    assert done.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}: " in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_with_an_unloadable_mqtt_ca_file_never_listens(tmp_path):
    # docs/reader-ingest.md: a ca_file that cannot be loaded stops serve with
    # an error: line. It is found before the port is opened, so the log never
    # claims a server that is about to exit is listening.
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    done = run_cli(
        "serve",
        "--port",
        "0",
        "--data-dir",
        str(tmp_path / "data"),
        env={
            "TRAKRF_MQTT_ENABLED": "true",
            "TRAKRF_MQTT_TLS": "true",
            "TRAKRF_MQTT_CA_FILE": str(bad),
        },
    )
    assert done.returncode == 2
    assert "error: mqtt.ca_file: cannot load" in done.stderr
    assert "listening" not in done.stderr
    assert "Traceback" not in done.stderr


def test_unusable_data_dir_is_an_error_not_a_traceback(tmp_path):
    occupied = tmp_path / "a-file"
    occupied.write_text("")
    done = run_cli("migrate", "--data-dir", str(occupied))
    assert done.returncode == 2
    assert f"cannot create the data folder {occupied}" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_settings_stop_every_command_at_start(tmp_path):
    # Without the check the server started and answered every signup with a
    # 500 (bcrypt's "Invalid rounds"); an unknown store was a traceback.
    for command, env in (
        ("migrate", {"TRAKRF_AUTH_BCRYPT_ROUNDS": "99"}),
        ("serve", {"TRAKRF_RATE_LIMIT_STORE": "bogus"}),
    ):
        done = run_cli(command, "--data-dir", str(tmp_path / "data"), env=env)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("error: "), done.stderr
        assert "Traceback" not in done.stderr


def test_a_database_that_cannot_be_opened_is_an_error_not_a_traceback(tmp_path):
    # peewee connects lazily: without a check at open the first migration
    # query failed with the driver's traceback, for every command.
    folder = tmp_path / "data"
    (folder / "trakrf.db").mkdir(parents=True)  # a folder where the file goes
    for command, env in (
        ("migrate", {"TRAKRF_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}),
        ("serve", {"TRAKRF_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}),
        ("migrate", {}),
    ):
        done = run_cli(command, "--data-dir", str(folder), env=env)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("error: cannot open the database: ")
        assert "Traceback" not in done.stderr


def test_an_unknown_database_url_scheme_is_a_config_error(tmp_path):
    done = run_cli(
        "migrate",
        "--data-dir",
        str(tmp_path),
        env={"TRAKRF_DATABASE_URL": "mysql://db.example.com/trakrf"},
    )
    assert done.returncode == 2
    assert "database.url must start with postgresql:// or sqlite://" in done.stderr
    assert "Traceback" not in done.stderr


def test_mint_key_with_an_empty_secret_file_says_so(tmp_path):
    data = tmp_path / "data"
    made = run_cli(
        "create-user",
        "ann@example.com",
        "--org",
        "Acme",
        "--data-dir",
        str(data),
        stdin="a long password\n",
    )
    assert made.returncode == 0, made.stderr
    (data / "secret.key").write_text("")
    done = run_cli(
        "mint-key", "acme", "k", "--scopes", "assets:read", "--data-dir", str(data)
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: the signing secret "), done.stderr
    assert "Traceback" not in done.stderr


def test_help_describes_the_program():
    shown = run_cli("--help").stdout
    assert "RFID asset-tracking server" in shown
    assert "``" not in shown


def test_create_user_asks_for_the_password_on_a_terminal(tmp_path):
    # At a terminal the password is prompted for and not echoed, rather than
    # read silently as a visible line.
    import pty
    import select
    import signal
    import time

    def read_until(fd: int, text: bytes, seen: bytearray) -> None:
        deadline = time.monotonic() + 30
        while text not in seen:
            assert time.monotonic() < deadline, bytes(seen)
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    chunk = os.read(fd, 1024)
                except OSError:  # the child closed the terminal
                    chunk = b""
                assert chunk, bytes(seen)
                seen.extend(chunk)

    argv = [sys.executable, str(ROOT / "run.py"), "create-user", "ann@example.com"]
    argv += ["--data-dir", str(tmp_path / "data")]
    pid, fd = pty.fork()
    if pid == 0:  # the child, on the new terminal
        os.environ["TRAKRF_AUTH_BCRYPT_ROUNDS"] = "4"
        os.execv(sys.executable, argv)
    seen = bytearray()
    try:
        read_until(fd, b"Password", seen)
        os.write(fd, b"a long password\n")
        read_until(fd, b"created user", seen)
    finally:
        deadline = time.monotonic() + 10
        while (done := os.waitpid(pid, os.WNOHANG))[0] == 0:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        status = done[1]
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, bytes(seen)
    assert b"a long password" not in seen
