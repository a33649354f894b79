"""External keys of assets and locations: minting and uniqueness (CONTRACT §16)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import peewee

from trakrf_server import timeutil
from trakrf_server.db import database, in_chunks
from trakrf_server.errors import conflict

T = TypeVar("T")

# A minted key lost to another process is minted again this many times.
MINT_ATTEMPTS = 5
# EK-1's bound on any external key, minted ones included.
MAX_KEY_LENGTH = 255


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
    minted = f"{prefix}-{max(numbers, default=0) + 1:04d}"
    if len(minted) > MAX_KEY_LENGTH:
        # EK-4's number no longer fits EK-1's length: the caller must choose.
        raise conflict(
            f"cannot mint an external_key: the next {prefix}-<digits> key would "
            f"be longer than {MAX_KEY_LENGTH} characters; supply external_key"
        )
    return minted


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


def create_keyed(
    model: Any,
    org_id: int,
    key: str | None,
    prefix: str,
    noun: str,
    create: Callable[[str], T],
    reserved: Iterable[str] = (),
) -> T:
    """Run ``create(key)`` under a free external key: EK-3, EK-4, EK-6.

    ``key`` None mints one. Within one process the check before the insert
    settles it (one writer); several processes on one database race past
    that check, and the partial unique index decides. An explicit key lost
    that way is the contract's 409; a minted key is minted afresh, since the
    caller never asked for the number the other process took. The insert runs
    in a savepoint so a refused one leaves the transaction usable.
    """
    reserved = list(reserved)
    for _ in range(MINT_ATTEMPTS):
        chosen = key if key is not None else mint(model, org_id, prefix, reserved)
        if key is not None:
            ensure_free(model, org_id, chosen, noun)
        try:
            with database.atomic():
                return create(chosen)
        except peewee.IntegrityError:
            if key is not None:
                raise conflict(
                    f"{noun} with external_key {chosen} already exists"
                ) from None
    raise conflict(f"{noun} with external_key {chosen} already exists")


def rekey(model: Any, org_id: int, row_id: int, key: str, noun: str) -> None:
    """EK-7: give a live row ``key``, or EK-6's 409 when another live row has it.

    As in ``create_keyed``, the check settles it within one process and the
    partial unique index across processes; a rename refused there (another
    process gave a row the same key since the check) is the same 409 with
    EK-6's exact detail. The update runs in a savepoint so a refused one
    leaves the transaction usable.
    """
    ensure_free(model, org_id, key, noun, except_id=row_id)
    try:
        with database.atomic():
            model.update(external_key=key, updated_at=timeutil.now()).where(
                model.id == row_id
            ).execute()
    except peewee.IntegrityError:
        raise conflict(f"{noun} with external_key {key} already exists") from None


def live_ids(model: Any, org_id: int, keys: Iterable[str]) -> dict[str, int]:
    """external key → id of the org's live rows of ``model`` among ``keys``.

    The keys may be any number (an inventory save lists a whole site, a
    backfill batch has no upper bound), so they are looked up in slices
    rather than as one ``IN`` list.
    """
    found: dict[str, int] = {}
    for chunk in in_chunks(sorted(set(keys))):
        rows = model.select(model.external_key, model.id).where(
            (model.org == org_id)
            & model.external_key.in_(list(chunk))
            & model.deleted_at.is_null()
        )
        found.update(rows.tuples())
    return found
