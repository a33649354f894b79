"""Validity windows and liveness of assets and locations.

A row is *currently effective* at ``at`` when ``valid_from <= at < valid_to``
(either end open when null; PAGE-15), and *live* while ``deleted_at`` is null.
Lists apply the window (PAGE-15); the report and history also need both terms
together to decide whether a location is shown (REPORT-3, HIST-6). The SQL
expressions and the test on a loaded row are kept side by side so they cannot
drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee


def effective(model: Any, at: datetime) -> peewee.Expression:
    """PAGE-15: ``valid_from <= at < valid_to`` with open ends."""
    return (model.valid_from.is_null() | (model.valid_from <= at)) & (
        model.valid_to.is_null() | (model.valid_to > at)
    )


def live_and_effective(model: Any, at: datetime) -> peewee.Expression:
    """Not soft-deleted and currently effective at ``at``."""
    return model.deleted_at.is_null() & effective(model, at)


def is_live_and_effective(row: Any, at: datetime) -> bool:
    """``live_and_effective`` for a row already loaded."""
    return (
        row.deleted_at is None
        and (row.valid_from is None or row.valid_from <= at)
        and (row.valid_to is None or row.valid_to > at)
    )
