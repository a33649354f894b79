"""Recording scan events keeps each asset at its latest event (ASSET-3).

``record_events`` compares each asset's latest new event with the stored
latest instead of re-reading the events; these pin that the outcome is the
same as recomputing "latest by (observed_at, id)" from all events.
"""

from __future__ import annotations

from tests.factories import Factory, ts
from trakrf_server.models import Asset, ScanEvent
from trakrf_server.services import scans


def _latest_by_events(asset_id: int) -> tuple:
    event = (
        ScanEvent.select()
        .where(ScanEvent.asset == asset_id)
        .order_by(ScanEvent.observed_at.desc(), ScanEvent.id.desc())
        .first()
    )
    return event.location_id, event.observed_at, event.id


def _stored(asset_id: int) -> tuple:
    asset = Asset.get_by_id(asset_id)
    return asset.location_id, asset.last_seen_at, asset.last_event_id


def test_asset_follows_its_latest_event_across_batches(seed):
    # ASSET-3: latest by observed_at, ties broken by the later-recorded event;
    # an older (backfilled) read leaves the asset where it is.
    f = Factory(seed)
    org = seed.tenant().org_id
    dock, shelf, gate = (f.location(org, k) for k in ("DOCK", "SHELF", "GATE"))
    one, two = f.asset(org, "ONE"), f.asset(org, "TWO")

    def record(*observations):
        return seed.write(lambda: scans.record_events(org, observations, "test"))

    noon = ts("2026-01-01T12:00:00Z")
    record(
        scans.Observation(one, dock, noon),
        scans.Observation(one, shelf, noon),  # same instant, later in batch
        scans.Observation(two, gate, ts("2026-01-01T11:00:00Z")),
    )
    assert seed.write(lambda: _stored(one)) == seed.write(
        lambda: _latest_by_events(one)
    )
    assert seed.write(lambda: _stored(one))[0] == shelf
    assert seed.write(lambda: _stored(two))[0] == gate

    record(
        scans.Observation(one, gate, ts("2026-01-01T10:00:00Z")),  # backfill
        scans.Observation(two, dock, ts("2026-01-01T11:00:00Z")),  # tie, newer id
    )
    for asset in (one, two):
        stored = seed.write(lambda a=asset: _stored(a))
        assert stored == seed.write(lambda a=asset: _latest_by_events(a))
    assert seed.write(lambda: _stored(one))[0] == shelf
    assert seed.write(lambda: _stored(two))[0] == dock


def test_events_are_returned_in_count_and_stored_in_order(seed):
    # SCAN-1: one immutable event per observation, ids in the given order.
    f = Factory(seed)
    org = seed.tenant().org_id
    dock = f.location(org, "DOCK")
    asset = f.asset(org, "A")
    when = [ts(f"2026-01-01T00:00:0{i}Z") for i in range(5)]
    observations = [scans.Observation(asset, dock, t) for t in reversed(when)]

    count = seed.write(lambda: scans.record_events(org, observations, "test"))
    assert count == 5

    rows = seed.write(
        lambda: list(
            ScanEvent.select(ScanEvent.observed_at)
            .where(ScanEvent.asset == asset)
            .order_by(ScanEvent.id)
            .tuples()
        )
    )
    assert [r[0] for r in rows] == list(reversed(when))
    assert seed.write(lambda: _stored(asset)) == seed.write(
        lambda: _latest_by_events(asset)
    )


def test_stored_latest_matches_recomputed_after_mixed_batches(seed):
    # ASSET-3 under many batches of in-order, tied and backfilled reads: the
    # asset's stored place always equals the one recomputed from its events.
    import random

    f = Factory(seed)
    org = seed.tenant().org_id
    places = [f.location(org, f"L{i}") for i in range(3)]
    assets = [f.asset(org, f"A{i}") for i in range(4)]
    rng = random.Random(5)
    base = ts("2026-01-01T12:00:00Z")
    for _ in range(12):
        batch = [
            scans.Observation(
                rng.choice(assets),
                rng.choice(places),
                base.replace(minute=rng.randrange(4)),  # many equal instants
            )
            for _ in range(rng.randrange(1, 6))
        ]
        seed.write(lambda b=batch: scans.record_events(org, b, "test"))
        for asset in assets:
            stored = seed.write(lambda a=asset: _stored(a))
            if stored[2] is not None:
                assert stored == seed.write(lambda a=asset: _latest_by_events(a))
