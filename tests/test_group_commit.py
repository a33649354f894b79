"""Group commit: writes queued behind a running one share one transaction,
each in its own savepoint (``db.Writer``)."""

import asyncio
import sqlite3

import peewee
import pytest

from tests.conftest import TEST_DATABASE, held_writer
from trakrf_server.db import MAX_RETRIES, database
from trakrf_server.models import Organization
from trakrf_server.services import accounts


@pytest.fixture
def commits(ctx, monkeypatch):
    """Counts the commits of the writer's database; the commit numbered
    ``fail_at`` raises instead of committing."""
    real = ctx.db.db.commit
    state = {"count": 0, "fail_at": None}

    def commit():
        if state["fail_at"] == state["count"] + 1:
            state["fail_at"] = None
            raise peewee.OperationalError("disk I/O error")
        state["count"] += 1
        return real()

    monkeypatch.setattr(ctx.db.db, "commit", commit)
    return state


def names(ctx) -> set[str]:
    """Organization names as another connection sees them: committed only."""
    if TEST_DATABASE == "sqlite":
        raw = sqlite3.connect(ctx.config.data_path / "trakrf.db")
        try:
            return {n for (n,) in raw.execute("SELECT name FROM organization")}
        finally:
            raw.close()
    return set(
        ctx.db.run_sync_write(
            lambda: [o.name for o in Organization.select(Organization.name)]
        )
    )


def create(name):
    return accounts.create_org(name).name


def create_then_fail(name):
    accounts.create_org(name)
    raise RuntimeError(f"{name} failed")


def create_then_sql_error(name):
    # A statement the database refuses: PostgreSQL then refuses everything
    # in the transaction until it is rolled back to a savepoint.
    accounts.create_org(name)
    database.execute_sql("SELECT * FROM no_such_table")


def create_then_end_transaction(name):
    # The transaction ends under the group's feet (as when the database
    # aborts it after an I/O error): no savepoint is left to roll back to.
    accounts.create_org(name)
    database.execute_sql("ROLLBACK")
    raise RuntimeError("transaction gone")


async def in_one_group(ctx, *jobs):
    async with held_writer(ctx.db, len(jobs)):
        tasks = [asyncio.ensure_future(ctx.db.write(fn, arg)) for fn, arg in jobs]
    return await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.gen_test
async def test_queued_writes_commit_once_and_each_gets_its_result(ctx, commits):
    results = await in_one_group(ctx, (create, "A"), (create, "B"), (create, "C"))
    assert results == ["A", "B", "C"]
    # the hold's own commit, then one for the three
    assert commits["count"] == 2
    # acknowledged means committed: another connection sees every row
    assert {"A", "B", "C"} <= names(ctx)


@pytest.mark.gen_test
async def test_failing_write_rolls_back_only_itself(ctx, commits):
    results = await in_one_group(
        ctx, (create, "A"), (create_then_fail, "B"), (create, "C")
    )
    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], RuntimeError)
    assert str(results[1]) == "B failed"
    assert commits["count"] == 2
    seen = names(ctx)
    assert {"A", "C"} <= seen and "B" not in seen


@pytest.mark.gen_test
async def test_database_error_in_one_write_spares_the_others(ctx, commits):
    results = await in_one_group(
        ctx, (create, "A"), (create_then_sql_error, "B"), (create, "C")
    )
    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], peewee.DatabaseError)
    seen = names(ctx)
    assert {"A", "C"} <= seen and "B" not in seen


@pytest.mark.gen_test
async def test_later_writes_of_a_group_see_earlier_ones(ctx, commits):
    # serial order is kept: the second create finds the first's identifier
    results = await in_one_group(ctx, (create, "Same"), (create, "Same"))
    assert results[0] == "Same"
    assert "identifier already taken" in str(results[1])
    orgs = ctx.db.run_sync_write(
        lambda: Organization.select().where(Organization.name == "Same").count()
    )
    assert orgs == 1


@pytest.mark.gen_test
async def test_failed_commit_acknowledges_no_write_of_the_group(ctx, commits):
    async with held_writer(ctx.db, 3):
        # the hold commits when released; the group's commit after it fails
        commits["fail_at"] = commits["count"] + 2
        tasks = [asyncio.ensure_future(ctx.db.write(create, name)) for name in "ABC"]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, peewee.OperationalError) for r in results), results
    assert not {"A", "B", "C"} & names(ctx)
    # the writer goes on
    assert await ctx.db.write(create, "D") == "D"


@pytest.mark.gen_test
async def test_lost_transaction_fails_what_ran_and_reruns_the_rest(ctx, commits):
    results = await in_one_group(
        ctx,
        (create, "A"),
        (create_then_end_transaction, "B"),
        (create, "C"),
    )
    # A ran in the lost transaction: it is not acknowledged, and not kept
    assert isinstance(results[0], RuntimeError)
    assert isinstance(results[1], RuntimeError)
    # C had not run yet: queued again, it runs and commits
    assert results[2] == "C"
    seen = names(ctx)
    assert "C" in seen and not {"A", "B"} & seen


@pytest.mark.gen_test
async def test_best_effort_and_awaited_writes_share_a_group(ctx, commits):
    async with held_writer(ctx.db, 2):
        ctx.db.write_soon(create_then_fail, "Quiet")
        task = asyncio.ensure_future(ctx.db.write(create, "Loud"))
    assert await task == "Loud"
    seen = names(ctx)
    assert "Loud" in seen and "Quiet" not in seen


class Deadlock(Exception):
    """What the PostgreSQL driver raises for a deadlock victim (SQLSTATE
    40P01), wrapped the way peewee wraps it."""

    pgcode = "40P01"


def losing_once(tries: list[str]):
    """A write that loses a deadlock the first time it runs (as when another
    process's group held a row it needed), then succeeds."""

    def job(name):
        tries.append(name)
        accounts.create_org(name)
        if len(tries) == 1:
            raise peewee.OperationalError(Deadlock("deadlock detected"))
        return name

    return job


@pytest.mark.gen_test
async def test_a_write_losing_a_deadlock_alone_runs_again(ctx):
    tries: list[str] = []
    assert await ctx.db.write(losing_once(tries), "Alone") == "Alone"
    assert tries == ["Alone", "Alone"]
    assert names(ctx) == {"Alone"}


@pytest.mark.gen_test
async def test_a_write_losing_a_deadlock_in_a_group_runs_again(ctx, commits):
    # The jobs before it commit (releasing what the other process waits
    # for); it and the jobs after it run again, in a transaction after that.
    tries: list[str] = []
    results = await in_one_group(
        ctx, (create, "First"), (losing_once(tries), "Loser"), (create, "Last")
    )
    assert results == ["First", "Loser", "Last"]
    assert tries == ["Loser", "Loser"]
    # The blocker's, First's, then Loser's and Last's run again together.
    assert commits["count"] == 3
    assert names(ctx) == {"First", "Loser", "Last"}


@pytest.mark.gen_test
async def test_a_write_that_keeps_losing_deadlocks_fails(ctx):
    tries = []

    def always(name):
        tries.append(name)
        raise peewee.OperationalError(Deadlock("deadlock detected"))

    with pytest.raises(peewee.OperationalError):
        await ctx.db.write(always, "Never")
    assert len(tries) == 1 + MAX_RETRIES
    assert names(ctx) == set()
