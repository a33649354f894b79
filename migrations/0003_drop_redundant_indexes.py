"""Drop two indexes that a longer index with the same leading column makes
redundant: every scan event updated them at a random place, and no query
needs them (``scan_event(asset, observed_at, id)`` and
``asset(location, deleted_at)`` serve every lookup)."""


def up(db):
    db.execute_sql('DROP INDEX IF EXISTS "scan_event_asset_id"')
    db.execute_sql('DROP INDEX IF EXISTS "asset_location_id"')
