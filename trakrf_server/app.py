"""The application: one route table that shows every URL the server answers."""

from __future__ import annotations

import logging

import tornado.web

from trakrf_server import openapi
from trakrf_server.api import fallback, health, reference, spa
from trakrf_server.api.body_limit import BodyLimitApplication, lift_query_field_cap
from trakrf_server.api.internal import (
    api_keys,
    auth,
    bulk_import,
    inventory,
    invitations,
    lookup,
    members,
    orgs,
    readers,
    users,
)
from trakrf_server.api.public import assets as public_assets
from trakrf_server.api.public import locations as public_locations
from trakrf_server.api.public import orgs as public_orgs
from trakrf_server.api.public import tags as public_tags
from trakrf_server.api.public import tracking as public_tracking
from trakrf_server.auth.tokens import load_or_create_secret
from trakrf_server.config import Config
from trakrf_server.context import AppContext
from trakrf_server.db import Database
from trakrf_server.mail import Mailer
from trakrf_server.paths import reference_ui_dir, static_dir, swagger_ui_dir
from trakrf_server.ratelimit import BucketStore, MemoryBuckets, RedisBuckets
from trakrf_server.services import bulk_import as bulk_import_jobs

log = logging.getLogger("trakrf.app")

# Path parameters accept any segment so a malformed id reaches the handler and
# gets its 400 (ID-3) instead of falling through to "unknown route".
ID = r"([^/]+)"


def routes() -> list[tuple[str, type[tornado.web.RequestHandler]]]:
    """Every URL, most specific first; the last two catch whatever is left."""
    v1 = "/api/v1"
    return [
        # bulk import (INT-101) comes before /assets/{asset_id}, which would
        # otherwise take "bulk" for an asset id
        (rf"{v1}/assets/bulk", bulk_import.BulkImportHandler),
        (rf"{v1}/assets/bulk/{ID}", bulk_import.BulkImportJobHandler),
        # public API (CONTRACT SURF-1)
        (rf"{v1}/orgs/me", public_orgs.OrgMeHandler),
        (rf"{v1}/assets/{ID}/history", public_tracking.AssetHistoryHandler),
        (rf"{v1}/reports/asset-locations", public_tracking.AssetLocationsReportHandler),
        # web app: accounts (INTERNAL §3–4)
        (rf"{v1}/auth/signup", auth.SignupHandler),
        (rf"{v1}/auth/login", auth.LoginHandler),
        (rf"{v1}/auth/forgot-password", auth.ForgotPasswordHandler),
        (rf"{v1}/auth/reset-password", auth.ResetPasswordHandler),
        (rf"{v1}/auth/invitation-info", auth.InvitationInfoHandler),
        (rf"{v1}/auth/accept-invite", auth.AcceptInviteHandler),
        (rf"{v1}/users/me", users.MeHandler),
        (rf"{v1}/users/me/current-org", users.CurrentOrgHandler),
        # web app: organizations, members, invitations, API keys (INTERNAL §5–8)
        (rf"{v1}/orgs", orgs.OrgsHandler),
        (rf"{v1}/orgs/{ID}", orgs.OrgHandler),
        (rf"{v1}/orgs/{ID}/members", members.MembersHandler),
        (rf"{v1}/orgs/{ID}/members/{ID}", members.MemberHandler),
        (rf"{v1}/orgs/{ID}/invitations", invitations.InvitationsHandler),
        (rf"{v1}/orgs/{ID}/invitations/{ID}", invitations.InvitationHandler),
        (
            rf"{v1}/orgs/{ID}/invitations/{ID}/resend",
            invitations.InvitationResendHandler,
        ),
        (rf"{v1}/orgs/{ID}/api-keys", api_keys.ApiKeysHandler),
        (rf"{v1}/orgs/{ID}/api-keys/by-jti/{ID}", api_keys.ApiKeyByJtiHandler),
        (rf"{v1}/orgs/{ID}/api-keys/{ID}", api_keys.ApiKeyHandler),
        # web-app scanning: inventory, tag lookup, bulk import (INTERNAL §9-10)
        (rf"{v1}/inventory/save", inventory.InventorySaveHandler),
        (rf"{v1}/lookup/tag", lookup.TagLookupHandler),
        (rf"{v1}/lookup/tags", lookup.TagBatchLookupHandler),
        # fixed readers (SCAN-3; docs/reader-ingest.md)
        (rf"{v1}/readers", readers.ReadersHandler),
        (rf"{v1}/readers/{ID}", readers.ReaderHandler),
        (rf"{v1}/readers/{ID}/antennas/{ID}", readers.AntennaHandler),
        (rf"{v1}/readers/{ID}/reads", readers.ReaderReadsHandler),
        (rf"{v1}/unknown-tags", readers.UnknownTagsHandler),
        # retired paths that would otherwise look like an id (SURF-6)
        (rf"{v1}/(?:assets|locations)/lookup", fallback.UnknownApiRouteHandler),
        (rf"{v1}/locations/current", fallback.UnknownApiRouteHandler),
        # assets (§18) and their tags (§20)
        (rf"{v1}/assets", public_assets.AssetsHandler),
        (rf"{v1}/assets/{ID}", public_assets.AssetHandler),
        (rf"{v1}/assets/{ID}/rename", public_assets.AssetRenameHandler),
        (rf"{v1}/assets/{ID}/tags", public_tags.AssetTagsHandler),
        (rf"{v1}/assets/{ID}/tags/{ID}", public_tags.AssetTagHandler),
        # locations (§19) and their tags (§20)
        (rf"{v1}/locations", public_locations.LocationsHandler),
        (rf"{v1}/locations/{ID}", public_locations.LocationHandler),
        (rf"{v1}/locations/{ID}/rename", public_locations.LocationRenameHandler),
        (rf"{v1}/locations/{ID}/ancestors", public_locations.AncestorsHandler),
        (rf"{v1}/locations/{ID}/children", public_locations.ChildrenHandler),
        (rf"{v1}/locations/{ID}/descendants", public_locations.DescendantsHandler),
        (rf"{v1}/locations/{ID}/tags", public_tags.LocationTagsHandler),
        (rf"{v1}/locations/{ID}/tags/{ID}", public_tags.LocationTagHandler),
        # API reference (OPENAPI-1): the spec, its old addresses, the page
        (r"/api/openapi\.(json|yaml)", reference.SpecHandler),
        (r"/api/v1/openapi\.(json|yaml)", reference.SpecRedirectHandler),
        (r"/openapi\.(json|yaml)", reference.SpecRedirectHandler),
        (r"/api/?", reference.ReferencePageHandler),
        (
            reference.PAGE_FILES,
            reference.ReferenceFileHandler,
            {"path": str(reference_ui_dir())},
        ),
        (
            reference.SWAGGER_FILES,
            reference.ReferenceFileHandler,
            {"path": str(swagger_ui_dir())},
        ),
        # probes
        (r"/healthz", health.HealthzHandler),
        (r"/readyz", health.ReadyzHandler),
        (r"/health", health.HealthHandler),
        # anything else under /api/ is unknown (SURF-5) or retired (SURF-6)
        (r"/api/.*", fallback.UnknownApiRouteHandler),
    ]


def make_limiter(config: Config) -> BucketStore | None:
    rl = config.rate_limit
    if not rl.enabled:
        return None
    if rl.store == "redis":
        buckets = RedisBuckets(
            rl.redis_url, rl.burst, rl.per_minute, prefix=rl.redis_prefix
        )
        buckets.check()  # fail at start, not on every request
        return buckets
    if rl.store != "memory":
        raise ValueError(f"unknown rate_limit.store {rl.store!r}")
    return MemoryBuckets(rl.burst, rl.per_minute)


def make_context(config: Config, db: Database | None = None) -> AppContext:
    """Open the database (applying migrations) and gather what handlers share."""
    if db is None:
        db = Database(config)
        db.open()
    # Import jobs run in memory; any a stop interrupted can never finish.
    interrupted = db.run_sync_write(bulk_import_jobs.fail_interrupted)
    if interrupted:
        log.warning("marked %d interrupted import job(s) failed", interrupted)
    secret = load_or_create_secret(config.auth.jwt_secret, config.data_path)
    return AppContext(
        config=config,
        db=db,
        secret=secret,
        limiter=make_limiter(config),
        mailer=Mailer(config.mail),
    )


def make_app(ctx: AppContext) -> tornado.web.Application:
    table: list = list(routes())
    table.append((r"/(.*)", spa.SpaHandler, {"path": str(static_dir())}))
    # The reference describes exactly the routes above, rendered once here.
    published = openapi.publish(table)
    lift_query_field_cap()
    return BodyLimitApplication(
        table, ctx=ctx, openapi=published, compress_response=False
    )
