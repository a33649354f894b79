"""Where the bundled read-only files live, from a checkout or a PyInstaller binary."""

from __future__ import annotations

import sys
from pathlib import Path


def bundle_root() -> Path:
    """The folder holding ``static/`` and ``migrations/``.

    A one-file PyInstaller executable unpacks them to ``sys._MEIPASS``; in a
    checkout they sit beside the package.
    """
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def static_dir() -> Path:
    return bundle_root() / "static"


def migrations_dir() -> Path:
    return bundle_root() / "migrations"


def sample_config() -> Path:
    """config.toml with every setting and its default, documented."""
    return bundle_root() / "config.toml"


def reference_ui_dir() -> Path:
    """The page and script around Swagger UI at ``/api``."""
    return Path(__file__).resolve().parent / "reference_ui"


def swagger_ui_dir() -> Path:
    """Swagger UI's files: from the ``swagger-ui-bundle`` package in a checkout;
    the executable carries the few it needs in ``swagger_ui/`` (see build.spec).
    """
    if getattr(sys, "_MEIPASS", None):
        return bundle_root() / "swagger_ui"
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))
