"""List query strings: pagination, filters and sort (CONTRACT §13, PAGE-1…15).

Each list operation declares its parameters once as a ``ListSpec``; ``parse``
turns the decoded query (``name -> [values]``) into a ``ListQuery`` or raises
the contract's ``validation_error``. The messages and codes are the contract's
own, so this is written out rather than delegated to a schema library. Every
public list uses it: assets, locations, the location tree, asset history
(HIST-3's ``from``/``to`` are the spec's ``instants``) and the asset-locations
report (which declares no PAGE-11 pair, so both location forms may be sent).

Unknown parameters are reported alone (PAGE-5). Otherwise every problem is
reported together (VAL-1), in the order limit, offset, sort, the filters in
the spec's order, booleans, instants, then ``q``; a parameter with a control
character (VAL-9) gets that entry and no other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import peewee

from trakrf_server import timeutil
from trakrf_server.api.query import limit_offset, unknown_parameters
from trakrf_server.db import code_point_order, is_sqlite
from trakrf_server.errors import FieldError, validation
from trakrf_server.services.validation import (
    INT32_MAX,
    control_message,
    has_control,
    is_external_key,
    parse_integer,
)

DEFAULT_LIMIT = 50

# The longest text ``q`` searches: a description (ASSET-4, LOC-3). Names,
# external keys and tag values stop at 255.
LONGEST_SEARCHED = 1024

# Filter kinds.
EXTERNAL_KEY = "external_key"
ID = "id"


@dataclass(frozen=True)
class ListSpec:
    """What one list operation accepts."""

    # repeatable filters: name -> EXTERNAL_KEY | ID
    filters: dict[str, str] = field(default_factory=dict)
    # allowed sort fields and the default order, e.g. (("external_key", False),)
    sort_fields: tuple[str, ...] = ()
    default_sort: tuple[tuple[str, bool], ...] = ()
    # (id form, key form) pairs that are mutually exclusive (PAGE-11)
    exclusive: tuple[tuple[str, str], ...] = ()
    booleans: tuple[str, ...] = ()
    # single-valued RFC 3339 bounds such as history's from/to (HIST-3)
    instants: tuple[str, ...] = ()
    search: bool = False
    # tree operations: no sort, but an empty ``sort=`` is tolerated (PAGE-13)
    sortable: bool = True

    def order(self) -> list[str]:
        """Every accepted parameter, in the order problems are reported."""
        names = ["limit", "offset"]
        if self.sort_fields or not self.sortable:
            names.append("sort")
        names += [*self.filters, *self.booleans, *self.instants]
        if self.search:
            names.append("q")
        return names

    def allowed(self) -> set[str]:
        return set(self.order())


# limit and offset only (internal lists such as readers)
PAGE_ONLY = ListSpec()


@dataclass
class ListQuery:
    """A validated list request."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    # (field, descending) pairs; the row id is appended by ``order_by``
    sort: list[tuple[str, bool]] = field(default_factory=list)
    filters: dict[str, list[Any]] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)
    instants: dict[str, datetime] = field(default_factory=dict)
    q: str | None = None

    def flag(self, name: str, default: bool | None = None) -> bool | None:
        return self.flags.get(name, default)


def _id_filter(name: str, text: str) -> tuple[int | None, FieldError | None]:
    """PAGE-9 (DEC-7: out of range is ``too_large``)."""
    value = parse_integer(text)
    if value is None:
        return None, FieldError(
            name,
            "invalid_value",
            f'{name} "{text}" must be a positive integer ≤ {INT32_MAX}',
        )
    if value < 1:
        return None, FieldError(name, "too_small", f"{name} must be ≥ 1", {"min": 1})
    if value > INT32_MAX:
        return None, FieldError(
            name, "too_large", f"{name} must be ≤ {INT32_MAX}", {"max": INT32_MAX}
        )
    return value, None


def _key_filter(name: str, text: str) -> tuple[str | None, FieldError | None]:
    """PAGE-8: the pattern (so an empty value fails)."""
    if not is_external_key(text):
        return None, FieldError(
            name, "invalid_value", f'{name} "{text}" must match ^[A-Za-z0-9-]+$'
        )
    return text, None


def _boolean(name: str, text: str) -> tuple[bool | None, FieldError | None]:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true", None
    return None, FieldError(name, "invalid_value", f"{name} must be 'true' or 'false'")


def _instant(name: str, text: str) -> tuple[datetime | None, FieldError | None]:
    """HIST-3: DATE-2's grammar; sentinel instants are allowed here, and so
    are instants an offset puts outside the years 1-9999 (clamped)."""
    value = timeutil.parse_rfc3339(text, clamp=True)
    if value is None:
        return None, FieldError(
            name,
            "invalid_value",
            f"Invalid '{name}' timestamp; expected RFC 3339, "
            "e.g. 2026-04-21T00:00:00.000Z",
        )
    return value, None


def _sort(
    spec: ListSpec, text: str
) -> tuple[list[tuple[str, bool]], FieldError | None]:
    if text == "":
        return list(spec.default_sort), None
    if not spec.sortable:
        return [], FieldError(
            "sort", "invalid_value", "sort parameter not supported on this endpoint"
        )
    order: list[tuple[str, bool]] = []
    for item in text.split(","):
        item = item.strip()
        descending = item.startswith("-")
        name = item[1:] if descending else item
        if name not in spec.sort_fields:
            return [], FieldError(
                "sort", "invalid_value", f"unknown sort field: {name}"
            )
        # A field already ordered on cannot reorder anything; dropping its
        # repeats keeps ORDER BY within the database's limit on terms.
        if all(name != seen for seen, _ in order):
            order.append((name, descending))
    return order, None


def parse(spec: ListSpec, params: dict[str, list[str]]) -> ListQuery:
    """Validate ``params`` against ``spec``; raise the PAGE errors together."""
    extra = unknown_parameters(params, spec.allowed())
    if extra:
        raise validation(extra)

    # VAL-9 on every value, repeated occurrences included.
    tainted = {n for n, values in params.items() if any(map(has_control, values))}
    errors = [FieldError(n, "invalid_value", control_message(n)) for n in tainted]
    clean = {n: values for n, values in params.items() if n not in tainted}

    result = ListQuery(sort=list(spec.default_sort))

    def first(name: str) -> str | None:
        # PAGE-4: single-valued parameters use their first occurrence.
        values = clean.get(name)
        return values[0] if values else None

    result.limit, result.offset, problems = limit_offset(clean)
    errors += problems
    if (text := first("sort")) is not None:
        order, problem = _sort(spec, text)
        result.sort = order if problem is None else result.sort
        errors += [problem] if problem else []

    for name, kind in spec.filters.items():
        values = clean.get(name)
        if not values:
            continue
        parsed: list[Any] = []
        for text in values:
            value, problem = (_id_filter if kind == ID else _key_filter)(name, text)
            if problem is not None:
                # PAGE-8: the first bad value only.
                errors.append(problem)
                break
            parsed.append(value)
        result.filters[name] = parsed

    for name in spec.booleans:
        if (text := first(name)) is not None:
            value, problem = _boolean(name, text)
            if problem is not None:
                errors.append(problem)
            else:
                result.flags[name] = bool(value)

    for name in spec.instants:
        if (text := first(name)) is not None:
            instant, problem = _instant(name, text)
            if problem is not None:
                errors.append(problem)
            else:
                result.instants[name] = instant

    if spec.search and (text := first("q")) is not None:
        result.q = text

    if errors:
        rank = spec.order()
        errors.sort(key=lambda e: rank.index(e.field))
        raise validation(errors)

    for id_form, key_form in spec.exclusive:
        if id_form in params and key_form in params:
            message = (
                f"{id_form} and {key_form} are mutually exclusive; supply exactly one"
            )
            raise validation(
                [
                    FieldError(id_form, "ambiguous_fields", message),
                    FieldError(key_form, "ambiguous_fields", message),
                ]
            )
    return result


def order_by(
    query: ListQuery,
    columns: dict[str, Any],
    tiebreak: Any,
    nullable: tuple[str, ...] = (),
) -> list[peewee.Node]:
    """ORDER BY terms for ``query.sort``, always ending with ``tiebreak`` ascending
    (DEC-18). Text columns compare by code point (PAGE-14); a column given as
    an expression should already be wrapped in ``code_point_order``. Fields in
    ``nullable`` put NULL after every value ascending and before them
    descending (PAGE-14), which SQLite and PostgreSQL do not agree on by default.
    """
    terms: list[peewee.Node] = []
    for name, descending in query.sort:
        column = columns[name]
        if isinstance(column, peewee.CharField | peewee.TextField):
            column = code_point_order(column)
        nulls = {}
        if name in nullable:
            nulls = {"nulls": "first" if descending else "last"}
        terms.append(column.desc(**nulls) if descending else column.asc(**nulls))
    terms.append(tiebreak.asc())
    return terms


def text_search(q: str, columns: list[Any], tag_owner: Any) -> peewee.Expression:
    """PAGE-10: case-insensitive literal substring on columns or live tag values.

    peewee's ``contains`` escapes ``%`` and ``_`` (DEC-14) and uses ILIKE on
    PostgreSQL. SQLite's LIKE folds ASCII case only, which is exact for an
    ASCII ``q`` (no other letter lower-cases to an ASCII one that matters
    here); any other ``q`` compares both sides lower-cased by Python, slower
    but right for ``É``/``é``.
    """
    from trakrf_server.models import Tag

    if len(q) > LONGEST_SEARCHED:
        # Longer than every searched value, so it matches nothing; and SQLite
        # refuses LIKE patterns over 50,000 bytes with an error.
        return peewee.SQL("1 = 0")

    def matches(column: Any) -> peewee.Expression:
        if q.isascii() or not is_sqlite():
            return column.contains(q)
        return peewee.fn.unicode_lower(column).contains(q.lower())

    clause = matches(columns[0])
    for column in columns[1:]:
        clause = clause | matches(column)
    tagged = Tag.select(tag_owner).where(Tag.deleted_at.is_null() & matches(Tag.value))
    return clause | columns[0].model.id.in_(tagged)
