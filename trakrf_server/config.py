"""Configuration: config.toml, then TRAKRF_<SECTION>_<KEY> variables, then flags.

Usage::

    config = load_config("config.toml", overrides={"server.port": 9090})
    config.server.port  # -> 9090

The result is frozen; nothing re-reads configuration per request.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ConfigError(Exception):
    """A configuration file or value that cannot be used."""


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: str = "./data"
    # Empty = the address the server listens on (see Config.public_base).
    public_url: str = ""


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = ""
    read_threads: int = 4


@dataclass(frozen=True)
class AuthConfig:
    jwt_secret: str = ""
    session_lifetime: int = 3600
    open_signup: bool = True
    bcrypt_rounds: int = 10


@dataclass(frozen=True)
class RateLimitConfig:
    enabled: bool = True
    burst: int = 120
    per_minute: int = 60
    store: str = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "trakrf:rl:"


@dataclass(frozen=True)
class MailConfig:
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    from_address: str = "trakrf-server@localhost"


@dataclass(frozen=True)
class CorsConfig:
    allow_origin: str = ""


@dataclass(frozen=True)
class MqttConfig:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 1883
    username: str = ""
    password: str = ""
    topic_prefix: str = "trakrf"
    client_id: str = "trakrf-server"
    tls: bool = False
    ca_file: str = ""


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    rate_limit: RateLimitConfig = field(default_factory=RateLimitConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    cors: CorsConfig = field(default_factory=CorsConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)

    @property
    def public_base(self) -> str:
        """``server.public_url``, else the address the server listens on.

        Mailed links (reset, invitations) start here, so a server moved to
        another port by TRAKRF_SERVER_PORT or --port links to that port.
        """
        if self.server.public_url:
            return self.server.public_url
        host = self.server.host
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.server.port}"

    @property
    def data_path(self) -> Path:
        return Path(self.server.data_dir).expanduser().resolve()

    def replace(self, overrides: Mapping[str, Any]) -> Config:
        """A copy with dotted keys (``"server.port"``) replaced, values coerced."""
        return _apply(self, overrides)


PORT_KEYS = ("server.port", "mail.smtp_port", "mqtt.port")
# Smallest and largest value each other integer setting can work with. Outside
# them the server would start and then fail on every request: bcrypt refuses
# other costs (a 500 on every signup and login), a lifetime below 1 second
# mints session tokens that are already expired, an empty bucket or no refill
# refuses every API-key request (and a zero rate divides by zero). No reader
# thread would leave every read query waiting for ever.
INT_RANGES = {
    "database.read_threads": (1, 1_000_000_000),
    "auth.session_lifetime": (1, 10 * 365 * 24 * 3600),
    "auth.bcrypt_rounds": (4, 31),
    "rate_limit.burst": (1, 1_000_000_000),
    "rate_limit.per_minute": (1, 1_000_000_000),
}
# Settings that name one of a few things; anything else is a typo best
# reported at start rather than as a traceback from deep inside it.
CHOICES = {"rate_limit.store": ("memory", "redis")}


def _coerce(section: str, key: str, current: Any, raw: Any) -> Any:
    where = f"{section}.{key}"
    if isinstance(current, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise ConfigError(f"{where} must be true or false, got {raw!r}")
    if isinstance(current, int):
        if isinstance(raw, bool):
            raise ConfigError(f"{where} must be an integer, got {raw!r}")
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be an integer, got {raw!r}") from None
        # The socket layer keeps only the low 16 bits, so 99999 would quietly
        # become 34463.
        # server.port 0 asks the system for a free port (the log says which).
        low = 0 if where == "server.port" else 1
        if where in PORT_KEYS and not low <= value <= 65535:
            raise ConfigError(
                f"{where} must be a port from {low} to 65535, got {value}"
            )
        _check_range(where, value)
        return value
    value = _check_choice(where, str(raw))
    if where == "server.public_url":
        _check_public_url(value)
    return value


def _check_range(where: str, value: int) -> None:
    if where not in INT_RANGES:
        return
    low, high = INT_RANGES[where]
    if not low <= value <= high:
        raise ConfigError(f"{where} must be from {low} to {high}, got {value}")


def _check_choice(where: str, value: str) -> str:
    allowed = CHOICES.get(where)
    if allowed is not None and value not in allowed:
        raise ConfigError(f"{where} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _check_public_url(value: str) -> None:
    # Mailed links are this value plus a path: without a scheme and host
    # ("trakrf.example.com") every reset and invitation link would be broken,
    # and nothing would say so until someone clicked one.
    if not value:
        return
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"server.public_url must be an absolute http:// or https:// URL, "
            f"got {value!r}"
        )


def _apply(config: Config, overrides: Mapping[str, Any]) -> Config:
    sections = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    for dotted, raw in overrides.items():
        section, _, key = dotted.partition(".")
        if section not in sections:
            raise ConfigError(f"unknown configuration section [{section}]")
        current = sections[section]
        if key not in {f.name for f in dataclasses.fields(current)}:
            raise ConfigError(f"unknown configuration key {section}.{key}")
        value = _coerce(section, key, getattr(current, key), raw)
        sections[section] = dataclasses.replace(current, **{key: value})
    return Config(**sections)


def _flatten(document: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for section, values in document.items():
        if not isinstance(values, dict):
            raise ConfigError(f"top-level key {section!r} must be a [section]")
        for key, value in values.items():
            flat[f"{section}.{key}"] = value
    return flat


def _environment(env: Mapping[str, str]) -> dict[str, Any]:
    # Section names may contain underscores (rate_limit), so match each known
    # section prefix rather than splitting the variable name at the first "_".
    found: dict[str, Any] = {}
    for f in dataclasses.fields(Config):
        prefix = f"TRAKRF_{f.name.upper()}_"
        for name, value in env.items():
            if name.startswith(prefix):
                found[f"{f.name}.{name[len(prefix) :].lower()}"] = value
    return found


def load_config(
    path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Read ``path`` (if given and present), the environment, then ``overrides``.

    Raises ConfigError for an unreadable file or an unknown or ill-typed key.
    """
    config = Config()
    if path is not None:
        file = Path(path)
        if file.exists():
            try:
                document = tomllib.loads(file.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{file}: {exc}") from exc
            config = _apply(config, _flatten(document))
        elif Path(path) != Path("config.toml"):
            raise ConfigError(f"configuration file {file} not found")
    config = _apply(config, _environment(os.environ if env is None else env))
    return _apply(config, overrides or {})
