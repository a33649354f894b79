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


class RequestIdMixin:
    """``X-Request-ID`` on every answer of a handler outside ``/api/v1`` (REQ-1).

    Mixed into the handlers that do not inherit the API base: the web app's
    files, the reference's files and the probes. The inbound id is echoed
    (REQ-2), else a new one is made.
    """

    def set_default_headers(self) -> None:
        super().set_default_headers()  # type: ignore[misc]
        # clear() calls this again before an error page; the id must not change.
        if not hasattr(self, "request_id"):
            inbound = self.request.headers.get("X-Request-ID", "")  # type: ignore[attr-defined]
            self.request_id = inbound or new_request_id()
        self.set_header("X-Request-ID", self.request_id)  # type: ignore[attr-defined]
