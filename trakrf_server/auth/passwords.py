"""bcrypt password hashing.

``hash_password``/``check_password`` are slow and blocking. Request handlers
use the ``*_async`` forms, which run them on a small pool of their own: never on
the event loop, and never on the database writer thread, whose one slot would
otherwise stall every write behind a password check.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import bcrypt

# bcrypt reads at most 72 bytes; longer passwords are refused rather than
# silently truncated (and bcrypt 5 raises on them).
MAX_PASSWORD_BYTES = 72
MIN_PASSWORD_CHARS = 8

# A hash of a random password: checking against it when the e-mail is unknown
# makes a failed login take as long as a wrong password.
_DUMMY_HASH = b"$2b$10$R.jB5XD9B0/kZDSTRpcSCOvhcg3O0SmzMMLVe.689lz9j1m3/OKtS"


def password_problem(password: str) -> str | None:
    """Why ``password`` is unacceptable, or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"password must be at least {MIN_PASSWORD_CHARS} characters"
    try:
        encoded = password.encode("utf-8")
    except UnicodeEncodeError:
        # Bytes that are not UTF-8 (read from a terminal or pipe in another
        # encoding) arrive as lone surrogates, which bcrypt cannot be given.
        return "password must be valid UTF-8 text"
    if len(encoded) > MAX_PASSWORD_BYTES:
        return f"password must be at most {MAX_PASSWORD_BYTES} bytes"
    return None


def hash_password(password: str, rounds: int = 10) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode()


def check_password(password: str, hashed: str | None) -> bool:
    """True when ``password`` matches; a None hash still costs one bcrypt check."""
    encoded = password.encode("utf-8", "replace")
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    target = hashed.encode() if hashed else _DUMMY_HASH
    try:
        ok = bcrypt.checkpw(encoded, target)
    except ValueError:
        return False
    return ok and hashed is not None


# How much lower than the rest of the process bcrypt threads run (a nice
# value, 0-19). bcrypt releases the GIL and keeps a core busy for ~70 ms per
# check; at equal priority, two of them on a two-core machine leave the event
# loop waiting its turn for a core, and every API request waits with it.
BCRYPT_NICENESS = 10


def _lower_priority() -> None:
    """Lower the calling thread's scheduling priority, where threads have one.

    On Linux a nice value belongs to one thread (a task), so this leaves the
    event loop and the database threads at their normal priority. Elsewhere
    it is a no-op: ``os.setpriority`` there would apply to the whole process.
    """
    if sys.platform != "linux":
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(
            os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + BCRYPT_NICENESS
        )
    except OSError:
        pass  # priority is an optimisation; logins work without it


# bcrypt holds the CPU; two threads keep a burst of logins from starving the
# rest of the process on a small machine, and they run at a lower priority so
# the event loop gets a core first.
_POOL = ThreadPoolExecutor(
    max_workers=2, thread_name_prefix="trakrf-bcrypt", initializer=_lower_priority
)


async def hash_password_async(password: str, rounds: int = 10) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, hash_password, password, rounds)


async def check_password_async(password: str, hashed: str | None) -> bool:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, check_password, password, hashed)
