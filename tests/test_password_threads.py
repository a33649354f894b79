"""bcrypt threads yield the CPU to the event loop (Linux, per-thread nice)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from trakrf_server.auth import passwords


def _niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice is Linux's")
def test_bcrypt_threads_run_below_the_event_loop():
    # A burst of logins must not hold API requests back: bcrypt threads run
    # BCRYPT_NICENESS below the thread that started the server.
    mine = _niceness()
    theirs = passwords._POOL.submit(_niceness).result(timeout=10)
    assert theirs == min(19, mine + passwords.BCRYPT_NICENESS)
    # The caller's own priority is untouched.
    assert _niceness() == mine
