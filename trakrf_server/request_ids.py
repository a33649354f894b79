"""Request ids: ULIDs that never go backwards within this process (REQ-2)."""

from __future__ import annotations

import threading

from ulid import ULID

_lock = threading.Lock()
_last = 0


def new_request_id() -> str:
    """A 26-character ULID, strictly increasing within the process.

    python-ulid draws fresh randomness for each id, so two ids in the same
    millisecond may sort either way; REQ-2 asks for monotonic ids, so a clash
    with the previous id's millisecond increments the previous value instead.
    """
    global _last
    candidate = int.from_bytes(ULID().bytes, "big")
    with _lock:
        if candidate >> 80 <= _last >> 80:
            candidate = _last + 1
        _last = candidate
    return str(ULID.from_bytes(candidate.to_bytes(16, "big")))
