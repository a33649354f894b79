"""Fixed readers (antenna placements, pushed batches, unknown tags) and bulk
import jobs."""

from trakrf_server.models import INGEST_MODELS


def up(db):
    db.create_tables(INGEST_MODELS)
