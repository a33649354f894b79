"""Liveness and readiness probes (INT-103)."""

from __future__ import annotations

import time

import tornado.web

from trakrf_server import __version__
from trakrf_server.context import AppContext
from trakrf_server.request_ids import RequestIdMixin


class _ProbeHandler(RequestIdMixin, tornado.web.RequestHandler):
    @property
    def ctx(self) -> AppContext:
        return self.application.settings["ctx"]

    async def head(self) -> None:
        # Monitors often probe with HEAD; same answer as GET, without the body.
        await self.get()


class HealthzHandler(_ProbeHandler):
    async def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("ok")


class ReadyzHandler(_ProbeHandler):
    async def get(self) -> None:
        ok = await self.ctx.db.read(self.ctx.db.ping)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_status(200 if ok else 503)
        self.finish("ok" if ok else "database unavailable")


class HealthHandler(_ProbeHandler):
    async def get(self) -> None:
        ok = await self.ctx.db.read(self.ctx.db.ping)
        self.set_status(200 if ok else 503)
        self.finish(
            {
                "status": "ok" if ok else "degraded",
                "version": __version__,
                "uptime_seconds": int(time.time() - self.ctx.started_at),
                "database": "ok" if ok else "unavailable",
            }
        )
