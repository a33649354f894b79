"""One MQTT message from a reader → the outcome published back (SCAN-3).

A message on ``{prefix}/readers/{reader_id}/reads`` carries the HTTP push's
batch plus ``key``, a ``scans:write`` API key of the reader's organization.
It passes the same checks as ``POST /api/v1/readers/{reader_id}/reads`` in the
same order where the transport allows (the key sits inside the JSON, so a body
that is not JSON is refused before authentication) and is recorded by the same
``services.readers.ingest``, so a repeated ``batch_id`` records nothing twice.
"""

from __future__ import annotations

import logging
from typing import Any

import peewee

from trakrf_server import jsonbody
from trakrf_server.api.base import CONCURRENT_CONFLICT, MISSING_ORG
from trakrf_server.api.internal.readers import parse_batch
from trakrf_server.auth import bearer
from trakrf_server.auth.principals import INVALID_TOKEN, unauthorized
from trakrf_server.context import AppContext
from trakrf_server.errors import INTERNAL_DETAIL, ApiError, envelope
from trakrf_server.request_ids import new_request_id
from trakrf_server.services import readers
from trakrf_server.services.validation import path_id

log = logging.getLogger("trakrf.mqtt")

SCOPE = "scans:write"
KEY_FIELD = "key"
MISSING_KEY = 'Missing API key: send a scans:write key in the "key" field'


def reader_segment(topic: str) -> str:
    """The ``{reader_id}`` level of ``…/readers/{reader_id}/reads``."""
    levels = topic.split("/")
    return levels[-2] if len(levels) >= 3 else ""


def results_topic(topic: str) -> str:
    """Where the outcome of a message on ``topic`` is published."""
    return topic.rsplit("/", 1)[0] + "/results"


async def outcome(ctx: AppContext, topic: str, payload: bytes) -> dict[str, Any]:
    """``{"data": result}`` as the HTTP push answers, or the error envelope.

    Never raises: every failure becomes an envelope whose ``instance`` is the
    topic and whose ``request_id`` is a fresh id, so one bad message cannot
    stop the subscriber.
    """
    try:
        result = await _ingest(ctx, reader_segment(topic), payload)
        return {"data": result}
    except ApiError as exc:
        error = exc
    except peewee.IntegrityError as exc:
        # Another process sharing the database recorded the same batch first.
        log.warning("conflict on MQTT message from %s: %s", topic, exc)
        error = ApiError("conflict", CONCURRENT_CONFLICT)
    except Exception:
        log.exception("unhandled error on MQTT message from %s", topic)
        error = ApiError("internal_error", INTERNAL_DETAIL)
    return envelope(error.type, error.detail, topic, new_request_id(), error.fields)


async def _ingest(ctx: AppContext, raw_reader_id: str, payload: bytes) -> dict:
    body = jsonbody.decode_object(payload)

    token = body.pop(KEY_FIELD, None)
    if token is None or token == "":
        raise unauthorized(MISSING_KEY)
    if not isinstance(token, str):
        raise unauthorized(INVALID_TOKEN)
    principal = await bearer.principal_for(ctx, token.strip(), "key")

    decision = await bearer.take_token(ctx, principal)
    if decision is not None and not decision.allowed:
        raise bearer.rate_limited(decision)
    bearer.require_scope(principal, SCOPE)
    if principal.org_id is None:
        raise ApiError("missing_org_context", MISSING_ORG)

    # From here on exactly the HTTP push: the reader must be a live reader of
    # the key's organization (404 otherwise), the batch obeys the same rules.
    reader_id = path_id("reader_id", raw_reader_id)
    batch_id, reads = parse_batch(body)
    return await ctx.db.write(
        readers.ingest, principal.org_id, reader_id, batch_id, reads
    )
