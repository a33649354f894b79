"""The printed result: throughput table, other figures, targets with PASS/MISS.

Everything is rendered as Markdown tables so the same text reads well in a
terminal and can be pasted into ``docs/benchmarks.md`` unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bench.load import LoadResult

# The 50-row asset page is what the baselines serve, so its ratios are the
# headline; other rows show the same ratios for scale.
ASSET_PAGE_ROWS = ("assets", "assets_deep")


@dataclass
class Figures:
    """Everything one run measured; None where a step did not run."""

    sizes: dict[str, int]
    load: dict[str, LoadResult] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    ingest_reads_per_s: float | None = None
    ingest_note: str = ""
    ingest_floor_reads_per_s: float | None = None
    ingest_same_db_floor_reads_per_s: float | None = None
    report_latency: LoadResult | None = None
    orgs_me_during_logins: LoadResult | None = None
    logins_per_s: float | None = None
    start_seconds: dict[str, float] = field(default_factory=dict)
    rss_mb: dict[str, dict[str, float | None]] = field(default_factory=dict)
    seed_seconds: float | None = None
    settings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    name: str
    goal: str
    measured: Callable[[Figures], float | None]
    passes: Callable[[float], bool]
    unit: str


def _ratio(a: LoadResult | None, b: LoadResult | None) -> float | None:
    if a is None or b is None or not b.rps:
        return None
    return a.rps / b.rps


def _max_rss(f: Figures) -> float | None:
    values = [v for v in f.rss_mb.get("trakrf-server", {}).values() if v is not None]
    return max(values) if values else None


TARGETS = (
    Target(
        "assets list vs Datasette",
        "≥ 3.0×",
        lambda f: _ratio(f.load.get("assets"), f.load.get("datasette")),
        lambda v: v >= 3.0,
        "×",
    ),
    Target(
        "assets list vs bare Tornado",
        "≥ 40 %",
        lambda f: _pct(_ratio(f.load.get("assets"), f.load.get("ceiling"))),
        lambda v: v >= 40.0,
        "%",
    ),
    Target(
        "ingest, batches of 500",
        "≥ 100000 reads/s",
        lambda f: f.ingest_reads_per_s,
        lambda v: v >= 100_000,
        "reads/s",
    ),
    Target(
        "report first page (1 connection, p50)",
        "≤ 20 ms",
        lambda f: f.report_latency.p50_ms if f.report_latency else None,
        lambda v: v <= 20.0,
        "ms",
    ),
    Target(
        "/orgs/me p99 during 8 looping logins",
        "≤ 25 ms",
        lambda f: f.orgs_me_during_logins.p99_ms if f.orgs_me_during_logins else None,
        lambda v: v <= 25.0,
        "ms",
    ),
    Target(
        "server resident memory (max seen)",
        "≤ 150 MB",
        _max_rss,
        lambda v: v <= 150.0,
        "MB",
    ),
)


def _safe_div(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _pct(value: float | None) -> float | None:
    return None if value is None else value * 100


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def throughput_table(f: Figures) -> list[str]:
    lines = [
        "| endpoint | req/s | p50 ms | p99 ms | errors "
        "| vs Datasette | vs bare Tornado | vs raw sqlite3 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    datasette, ceiling = f.load.get("datasette"), f.load.get("ceiling")
    floors = {"assets": f.load.get("floor"), "assets_deep": f.load.get("floor_deep")}
    for key, result in f.load.items():
        floor = _x(_ratio(result, floors[key])) if key in ASSET_PAGE_ROWS else ""
        lines.append(
            f"| {f.labels.get(key, key)} | {_num(result.rps, 0)} "
            f"| {_num(result.p50_ms, 2)} | {_num(result.p99_ms, 2)} "
            f"| {result.errors} | {_x(_ratio(result, datasette))} "
            f"| {_x(_ratio(result, ceiling))} | {floor} |"
        )
    return lines


def other_table(f: Figures) -> list[str]:
    lines = ["| figure | value |", "|---|---:|"]
    ingest = _num(f.ingest_reads_per_s, 0)
    lines.append(f"| ingest (reads/s) {f.ingest_note} | {ingest} |")
    floors = (
        (
            "ingest floor: the same rows appended to an empty table, sqlite3 "
            "executemany, 500 per commit",
            f.ingest_floor_reads_per_s,
        ),
        (
            "ingest floor: the same rows into a copy of this database, with the "
            "asset updates, 500 per commit",
            f.ingest_same_db_floor_reads_per_s,
        ),
    )
    for label, floor in floors:
        if floor:
            share = _pct(_safe_div(f.ingest_reads_per_s, floor))
            lines.append(
                f"| {label} (reads/s; the server reaches {_num(share)} %) "
                f"| {_num(floor, 0)} |"
            )
    if f.report_latency:
        r = f.report_latency
        lines.append(
            f"| report first page, 1 connection: p50 / p99 (ms) "
            f"| {_num(r.p50_ms, 2)} / {_num(r.p99_ms, 2)} |"
        )
    if f.orgs_me_during_logins:
        r = f.orgs_me_during_logins
        lines.append(
            f"| /orgs/me during 8 looping logins: p50 / p99 (ms), req/s "
            f"| {_num(r.p50_ms, 2)} / {_num(r.p99_ms, 2)}, {_num(r.rps, 0)} |"
        )
        lines.append(f"| logins completed meanwhile (per s) | {_num(f.logins_per_s)} |")
    for name, seconds in f.start_seconds.items():
        lines.append(f"| {name}: start to first 200 (s) | {seconds:.2f} |")
    for name, samples in f.rss_mb.items():
        for moment, value in samples.items():
            lines.append(f"| {name}: RSS {moment} (MB) | {_num(value)} |")
    if f.seed_seconds is not None:
        lines.append(f"| seeding (s) | {f.seed_seconds:.1f} |")
    return lines


def target_table(f: Figures) -> tuple[list[str], int]:
    """The targets table and how many were missed."""
    lines = ["| target | goal | measured | result |", "|---|---|---:|---|"]
    missed = 0
    for t in TARGETS:
        value = t.measured(f)
        if value is None:
            verdict = "n/a"
        elif t.passes(value):
            verdict = "PASS"
        else:
            verdict = "MISS"
            missed += 1
        shown = "–" if value is None else f"{value:,.1f} {t.unit}"
        lines.append(f"| {t.name} | {t.goal} | {shown} | {verdict} |")
    return lines, missed


def render(f: Figures) -> tuple[str, int]:
    settings = ", ".join(f"{k} {v}" for k, v in f.settings.items())
    sizes = ", ".join(f"{v:,} {k}" for k, v in f.sizes.items())
    targets, missed = target_table(f)
    parts = [
        f"Data: {sizes}. Load: {settings}.",
        "",
        *throughput_table(f),
        "",
        *other_table(f),
        "",
        *targets,
    ]
    return "\n".join(parts), missed
