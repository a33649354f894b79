"""Accounts, organizations, API keys, and the tracked things with their events."""

from trakrf_server.models import ACCOUNT_MODELS, TRACKING_MODELS


def up(db):
    db.create_tables(ACCOUNT_MODELS + TRACKING_MODELS)
