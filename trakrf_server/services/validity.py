"""Validity windows and liveness of assets and locations.

A row is *currently effective* at ``at`` when ``valid_from <= at < valid_to``
(either end open when null; PAGE-15), and *live* while ``deleted_at`` is null.
Lists apply the window (PAGE-15); the report and history need both terms
together to decide whether a location's key is shown (REPORT-3, HIST-6).
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


def key_while_effective(model: Any, at: datetime) -> peewee.Node:
    """``model.external_key`` while that row is live and currently effective at
    ``at``, else NULL: how the report and history show a scanned location
    (REPORT-3, HIST-6). Over a LEFT JOIN a missing row gives NULL too.
    """
    return peewee.Case(
        None, [(live_and_effective(model, at), model.external_key)], None
    )
