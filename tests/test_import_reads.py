"""``run.py import-reads``: backfilling scan events from a CSV (ASSET-3, SCAN-2)."""

from sqlite3 import SQLITE_LIMIT_VARIABLE_NUMBER as VARIABLE_LIMIT

import pytest

from tests.conftest import TEST_DATABASE
from tests.factories import Factory
from tests.test_config_and_cli import run_cli
from trakrf_server.db import database
from trakrf_server.models import Asset, ScanEvent
from trakrf_server.services import backfill
from trakrf_server.services.backfill import LOCATION_COLUMN as LOCATION


def test_import_reads_backfills_and_reports_bad_rows(seed, ctx, tmp_path):
    f = Factory(seed)
    org = seed.tenant().org_id
    dock = f.location(org, "DOCK")
    bay = f.location(org, "BAY")
    pump = f.asset(org, "PUMP")
    cart = f.asset(org, "CART")
    f.tag(org, "E200BB", asset=cart)
    # the pump's live position is newer than anything in the file
    f.scan(org, pump, bay, "2026-05-01T00:00:00Z")

    reads = tmp_path / "reads.csv"
    reads.write_text(
        "seen_at,location_external_key,asset_external_key,epc\n"
        "2026-04-01T00:00:00Z,DOCK,PUMP,\n"
        "2026-04-02T00:00:00Z,DOCK,,000E200BB\n"
        "2026-04-03T00:00:00Z,NOWHERE,PUMP,\n"
        "not-a-time,DOCK,PUMP,\n"
        "2026-04-04T00:00:00Z,DOCK,,FFFF\n"
        "9999-12-31T00:00:00Z,DOCK,PUMP,\n"
        # an exporter's "no time" placeholders, refused as on a reader push
        "0001-01-01T00:00:00Z,DOCK,PUMP,\n"
        "1970-01-01T00:00:00+00:00,DOCK,PUMP,\n"
    )
    done = run_cli(
        "import-reads",
        str(reads),
        "--org",
        str(org),
        "--batch-size",
        "2",
        "--data-dir",
        str(ctx.config.data_path),
        # the database the test seeded, also when it is PostgreSQL
        env={"TRAKRF_DATABASE_URL": ctx.config.database.url},
    )
    assert done.returncode == 1, done.stderr
    assert "recorded 2 event(s), skipped 6 row(s)" in done.stdout
    assert "line 4: location not found" in done.stderr
    assert "line 5: seen_at is not an RFC 3339 timestamp" in done.stderr
    assert "line 6: asset or tag not found" in done.stderr
    assert "line 7: seen_at is ahead of the server's clock" in done.stderr
    assert "line 8: seen_at is a default-value sentinel, not a time" in done.stderr
    assert "line 9: seen_at is a default-value sentinel, not a time" in done.stderr

    sources = seed.write(lambda: [e.source for e in ScanEvent.select()])
    assert sorted(sources) == ["import", "import", "test"]
    # an older backfilled read does not move the pump; the cart moves to DOCK
    assert f.get(Asset, pump).location_id == bay
    assert f.get(Asset, cart).location_id == dock


@pytest.mark.parametrize("size", ["0", "-5", "ten"])
def test_import_reads_batch_size_must_be_a_positive_number(tmp_path, size):
    reads = tmp_path / "reads.csv"
    reads.write_text("seen_at,location_external_key,asset_external_key\n")
    done = run_cli(
        "import-reads",
        str(reads),
        "--org",
        "1",
        "--batch-size",
        size,
        "--data-dir",
        str(tmp_path / "d"),
    )
    assert done.returncode == 2
    assert "--batch-size" in done.stderr
    assert not (tmp_path / "d").exists()  # refused before touching anything


def import_reads(ctx, reads, org: int):
    """``import-reads`` of ``reads`` into the database the test seeded (also
    when it is PostgreSQL)."""
    return run_cli(
        "import-reads",
        str(reads),
        "--org",
        str(org),
        "--data-dir",
        str(ctx.config.data_path),
        env={"TRAKRF_DATABASE_URL": ctx.config.database.url},
    )


def test_import_reads_progress_counts_rows_not_lines(seed, ctx, tmp_path):
    f = Factory(seed)
    org = seed.tenant().org_id
    f.location(org, "DOCK")
    f.asset(org, "PUMP")
    reads = tmp_path / "reads.csv"
    # one quoted value spans three lines, and a blank line sits between rows
    reads.write_text(
        "seen_at,location_external_key,asset_external_key,note\n"
        '2026-04-01T00:00:00Z,DOCK,PUMP,"first\nsecond\nthird"\n'
        "\n"
        "2026-04-02T00:00:00Z,DOCK,PUMP,\n"
    )
    done = import_reads(ctx, reads, org)
    assert done.returncode == 0, done.stderr
    assert "recorded 2 event(s)" in done.stdout
    assert "2/2" in done.stderr and "/5" not in done.stderr


def test_import_reads_refuses_a_broken_csv(tmp_path):
    reads = tmp_path / "reads.csv"
    # a value past the csv module's field size limit (128 KiB)
    huge = "x" * 200_000
    reads.write_text(f"seen_at,location_external_key,asset_external_key\n{huge},X,Y\n")
    done = run_cli(
        "import-reads", str(reads), "--org", "1", "--data-dir", str(tmp_path / "d")
    )
    assert done.returncode == 2
    assert "not a CSV file" in done.stderr


def test_import_reads_header_checked(tmp_path):
    reads = tmp_path / "reads.csv"
    reads.write_text("seen_at,asset_external_key\n")
    done = run_cli(
        "import-reads", str(reads), "--org", "1", "--data-dir", str(tmp_path / "d")
    )
    assert done.returncode == 2
    assert "missing column(s): location_external_key" in done.stderr


def test_import_reads_header_names_may_have_spaces(seed, ctx, tmp_path):
    # docs/reader-ingest.md (backfill): spaces around a column name are
    # ignored, for the rows as for the header check
    f = Factory(seed)
    org = seed.tenant().org_id
    dock = f.location(org, "DOCK")
    pump = f.asset(org, "PUMP")
    reads = tmp_path / "reads.csv"
    reads.write_text(
        " seen_at , location_external_key , asset_external_key \n"
        "2026-04-01T00:00:00Z,DOCK,PUMP\n"
    )
    done = import_reads(ctx, reads, org)
    assert done.returncode == 0, done.stderr
    assert "recorded 1 event(s), skipped 0 row(s)" in done.stdout
    assert f.get(Asset, pump).location_id == dock


def test_import_reads_refuses_a_file_that_is_not_utf8(seed, ctx, tmp_path):
    # docs/reader-ingest.md (backfill): the file is checked before anything is
    # recorded; a bad file is an error message, never a traceback
    reads = tmp_path / "reads.csv"
    reads.write_bytes(
        b"seen_at,location_external_key,asset_external_key\n"
        b"2026-04-01T00:00:00Z,DOCK,PUMP\n"
        b"2026-04-02T00:00:00Z,DOCK,PUMP\xff\n"
    )
    done = run_cli(
        "import-reads",
        str(reads),
        "--org",
        str(seed.tenant().org_id),
        "--data-dir",
        str(ctx.config.data_path),
        env={"TRAKRF_DATABASE_URL": ctx.config.database.url},
    )
    assert done.returncode == 2, done.stderr
    assert "not UTF-8 text" in done.stderr
    assert "Traceback" not in done.stderr
    assert seed.write(lambda: ScanEvent.select().count()) == 0


def test_import_reads_twice_records_each_event_once(seed, ctx, tmp_path):
    # SCAN-2 events are immutable, so a repeat would stay in the history for
    # good: as for pushed reads (docs/reader-ingest.md, duplicates), a row
    # repeating a recorded event or an earlier row is counted, not recorded
    f = Factory(seed)
    org = seed.tenant().org_id
    f.location(org, "DOCK")
    pump = f.asset(org, "PUMP")
    f.tag(org, "E200AA", asset=pump)
    reads = tmp_path / "reads.csv"
    reads.write_text(
        "seen_at,location_external_key,asset_external_key,epc\n"
        "2026-04-01T00:00:00Z,DOCK,PUMP,\n"
        "2026-04-01T05:00:00+05:00,DOCK,,000E200AA\n"
        "2026-04-02T00:00:00Z,DOCK,PUMP,\n"
        "2026-04-03T00:00:00Z,NOWHERE,PUMP,\n"
    )

    def run():
        return run_cli(
            "import-reads",
            str(reads),
            "--org",
            str(org),
            "--batch-size",
            "2",
            "--data-dir",
            str(ctx.config.data_path),
            env={"TRAKRF_DATABASE_URL": ctx.config.database.url},
        )

    done = run()
    assert done.returncode == 1, done.stderr
    assert "recorded 2 event(s), skipped 1 row(s), 1 duplicate(s)" in done.stdout
    # the skipped row fixed, the same file again: only that row is new
    reads.write_text(reads.read_text().replace("NOWHERE", "DOCK"))
    done = run()
    assert done.returncode == 0, done.stderr
    assert "recorded 1 event(s), skipped 0 row(s), 3 duplicate(s)" in done.stdout
    assert seed.write(lambda: ScanEvent.select().count()) == 3


@pytest.mark.skipif(TEST_DATABASE == "postgres", reason="SQLite's parameter limit")
def test_a_batch_larger_than_sqlite_binds_in_one_statement(seed):
    # --batch-size has no upper bound: a batch naming more assets and tags
    # than SQLite binds in one statement is still resolved, not a traceback.
    # The writer's limit is lowered so a small batch crosses it.
    f = Factory(seed)
    org = seed.tenant().org_id
    dock = f.location(org, "DOCK")
    pump, cart = f.asset(org, "PUMP"), f.asset(org, "CART")
    f.tag(org, "E200CC", asset=cart)
    seed.write(lambda: database.connection().setlimit(VARIABLE_LIMIT, 999))
    rows = [
        (n + 2, {"seen_at": "2026-04-01T00:00:00Z", LOCATION: "DOCK", **cells})
        for n, cells in enumerate(
            [{"asset_external_key": f"GONE-{n}"} for n in range(1200)]
            + [{"epc": f"FF{n}"} for n in range(1200)]
            + [{"asset_external_key": "PUMP"}, {"epc": "0E200CC"}]
        )
    ]
    result = seed.write(backfill.record_rows, org, rows)
    assert result.recorded == 2
    assert len(result.problems) == 2400
    assert f.get(Asset, pump).location_id == dock
    assert f.get(Asset, cart).location_id == dock
