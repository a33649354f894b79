"""Query-string rules of the history and report lists (PAGE, HIST-3, ID-3).

Usage::

    q = ListQuery(self.query, REPORT_PARAMS)
    limit, offset = q.page()
    sort = q.sort(REPORT_SORT, default=[("asset_last_seen", True)])
    q.raise_problems()          # one 400 with every entry collected above

Each parser records its problems instead of raising, so one response lists
every bad parameter (VAL-1). Unknown parameters are reported alone first.

TODO: switch to the shared list-query module of the asset and location lists
once it is on main; the rules here are the same PAGE rules.
"""

from __future__ import annotations

import re
from datetime import datetime

from trakrf_server import timeutil
from trakrf_server.api.query import unknown_parameters
from trakrf_server.errors import FieldError, validation

INT32_MAX = 2147483647
INT64_MAX = 9223372036854775807
MAX_LIMIT = 200
DEFAULT_LIMIT = 50

_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_EXTERNAL_KEY = re.compile(r"^[A-Za-z0-9-]+$")
# VAL-9: C0 controls other than TAB, LF, CR, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

REPORT_PARAMS = {
    "limit",
    "offset",
    "sort",
    "location_id",
    "location_external_key",
    "include_deleted",
    "q",
}
HISTORY_PARAMS = {"limit", "offset", "sort", "from", "to"}


def control_message(name: str) -> str:
    return f"{name} must not contain control characters (NUL, etc.)"


def parse_path_id(name: str, raw: str) -> int:
    """A path id (ID-3), or the 400 naming the parameter."""
    value = int(raw) if _INTEGER.match(raw) else None
    if value is None or not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise validation(
            [FieldError(name, "invalid_value", f"{name} must be an integer")]
        )
    if value < 1:
        raise validation(
            [FieldError(name, "too_small", f"{name} must be ≥ 1", {"min": 1})]
        )
    if value > INT32_MAX:
        raise validation(
            [
                FieldError(
                    name,
                    "too_large",
                    f"{name} must be ≤ {INT32_MAX}",
                    {"max": INT32_MAX},
                )
            ]
        )
    return value


class ListQuery:
    """The parameters of one list request and the problems found in them."""

    def __init__(self, params: dict[str, list[str]], allowed: set[str]) -> None:
        unknown = unknown_parameters(params, allowed)
        if unknown:
            raise validation(unknown)
        self.params = params
        self.problems: list[FieldError] = []

    def raise_problems(self) -> None:
        if self.problems:
            raise validation(self.problems)

    def _problem(self, name: str, code: str, message: str, **params) -> None:
        self.problems.append(FieldError(name, code, message, params or None))

    def first(self, name: str) -> str | None:
        """The first occurrence (PAGE-4), checked for control characters."""
        values = self.params.get(name)
        if not values:
            return None
        value = values[0]
        if _CONTROL.search(value):
            self._problem(name, "invalid_value", control_message(name))
            return None
        return value

    def every(self, name: str) -> list[str]:
        """Every occurrence of a repeatable filter (PAGE-6)."""
        values = self.params.get(name, [])
        for value in values:
            if _CONTROL.search(value):
                self._problem(name, "invalid_value", control_message(name))
                return []
        return values

    # --- pagination (PAGE-1, PAGE-2) --------------------------------------------

    def page(self) -> tuple[int, int]:
        limit = self._bounded(
            "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, "limit must be a positive integer"
        )
        offset = self._bounded(
            "offset", 0, 0, INT32_MAX, "offset must be a non-negative integer"
        )
        return limit, offset

    def _bounded(self, name: str, default: int, low: int, high: int, bad: str) -> int:
        raw = self.first(name)
        if raw is None:
            return default
        if not _INTEGER.match(raw):
            self._problem(name, "invalid_value", bad)
            return default
        value = int(raw)
        if value < low:
            self._problem(name, "too_small", f"{name} must be ≥ {low}", min=low)
            return default
        if value > high:
            self._problem(name, "too_large", f"{name} must be ≤ {high}", max=high)
            return default
        return value

    # --- sort (PAGE-12) -----------------------------------------------------------

    def sort(
        self, allowed: tuple[str, ...], default: list[tuple[str, bool]]
    ) -> list[tuple[str, bool]]:
        """``[(field, descending), …]``; ``sort=`` (empty) means the default."""
        raw = self.first("sort")
        if raw is None or raw == "":
            return list(default)
        order = []
        for item in raw.split(","):
            item = item.strip()
            descending = item.startswith("-")
            name = item[1:] if descending else item
            if name not in allowed:
                self._problem("sort", "invalid_value", f"unknown sort field: {name}")
                return list(default)
            order.append((name, descending))
        return order

    # --- filters ----------------------------------------------------------------

    def boolean(self, name: str, default: bool = False) -> bool:
        """PAGE-7: ``true``/``false`` in any case."""
        raw = self.first(name)
        if raw is None:
            return default
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        self._problem(name, "invalid_value", f"{name} must be 'true' or 'false'")
        return default

    def ids(self, name: str) -> list[int]:
        """An any-of id filter (PAGE-9); the first bad value is reported."""
        values = []
        for raw in self.every(name):
            if not _INTEGER.match(raw):
                self._problem(
                    name,
                    "invalid_value",
                    f'{name} "{raw}" must be a positive integer ≤ {INT32_MAX}',
                )
                return []
            value = int(raw)
            if value < 1:
                self._problem(name, "too_small", f"{name} must be ≥ 1", min=1)
                return []
            if value > INT32_MAX:
                self._problem(
                    name, "too_large", f"{name} must be ≤ {INT32_MAX}", max=INT32_MAX
                )
                return []
            values.append(value)
        return values

    def external_keys(self, name: str) -> list[str]:
        """An any-of external-key filter (PAGE-8); the first bad value is reported."""
        values = self.every(name)
        for raw in values:
            if not _EXTERNAL_KEY.match(raw):
                self._problem(
                    name, "invalid_value", f'{name} "{raw}" must match ^[A-Za-z0-9-]+$'
                )
                return []
        return values

    def text(self, name: str) -> str | None:
        """A free-text filter such as ``q`` (VAL-9 applied by ``first``)."""
        return self.first(name)

    def instant(self, name: str) -> datetime | None:
        """HIST-3's ``from``/``to``: DATE-2 grammar, sentinels allowed."""
        raw = self.first(name)
        if raw is None:
            return None
        value = timeutil.parse_rfc3339(raw)
        if value is None:
            self._problem(
                name,
                "invalid_value",
                f"Invalid '{name}' timestamp; expected RFC 3339, "
                "e.g. 2026-04-21T00:00:00.000Z",
            )
        return value
