"""External keys of assets and locations: minting and uniqueness (CONTRACT §16)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from trakrf_server.errors import conflict


def mint(model: Any, org_id: int, prefix: str, reserved: Iterable[str] = ()) -> str:
    """EK-4: ``{prefix}-NNNN``, one past the largest live key of that form.

    ``reserved`` are keys about to be created in the same transaction (a CSV
    import's explicit keys), so a minted key never takes one of them.
    """
    form = re.compile(re.escape(prefix) + r"-([0-9]+)")
    keys = model.select(model.external_key).where(
        (model.org == org_id)
        & model.deleted_at.is_null()
        & model.external_key.startswith(prefix + "-")
    )
    numbers = [
        int(match.group(1))
        for key in [*(k for (k,) in keys.tuples()), *reserved]
        if (match := form.fullmatch(key)) is not None
    ]
    return f"{prefix}-{max(numbers, default=0) + 1:04d}"


def ensure_free(
    model: Any, org_id: int, key: str, noun: str, except_id: int | None = None
) -> None:
    """EK-3/EK-6: 409 when a live row of the org already has ``key``."""
    clash = model.select(model.id).where(
        (model.org == org_id) & model.deleted_at.is_null() & (model.external_key == key)
    )
    if except_id is not None:
        clash = clash.where(model.id != except_id)
    if clash.exists():
        raise conflict(f"{noun} with external_key {key} already exists")
