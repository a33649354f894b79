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
