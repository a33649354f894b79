"""``POST /api/v1/assets/bulk`` and ``GET /api/v1/assets/bulk/{job_id}``
(INT-101): CSV asset import as a background job."""

from __future__ import annotations

import logging

import tornado.ioloop

from trakrf_server.api.base import BODY_TOO_LARGE, ApiHandler
from trakrf_server.errors import ApiError, bad_request, not_found
from trakrf_server.services import bulk_import

log = logging.getLogger("trakrf.import")

CT_MULTIPART = "Content-Type must be multipart/form-data"


class BulkImportHandler(ApiHandler):
    methods = ("POST",)
    auth = "session"
    # Bulk import is a manager's job (INT-10).
    scopes = {"POST": "assets:write"}

    @classmethod
    def body_too_large(cls) -> ApiError:
        # INT-101: a larger file is 413, also past the server's body limit.
        return ApiError("payload_too_large", BODY_TOO_LARGE)

    def _check_content_type(self, method: str) -> None:
        # The only route that takes multipart (INT-101).
        kind = (self._content_type() or "").split(";")[0].strip().lower()
        if kind != "multipart/form-data":
            raise ApiError("unsupported_media_type", CT_MULTIPART)

    async def post(self) -> None:
        uploads = self.request.files.get("file") or []
        if len(uploads) != 1:
            raise bad_request('expected one CSV file in the form field "file"')
        upload = uploads[0]
        if len(upload.body) > bulk_import.MAX_BYTES:
            raise ApiError("payload_too_large", "CSV file exceeds the 5 MiB limit")
        rows = bulk_import.read_upload(upload.body)  # whole-file problems → 400
        del rows

        text = upload.body.decode("utf-8-sig")
        job_id = await self.db.write(
            bulk_import.create_job,
            self.org_id,
            self.principal.user_id,
            upload.filename or "",
            text,
        )
        tornado.ioloop.IOLoop.current().spawn_callback(self._run, job_id)
        self.send_json(
            {
                "status": "accepted",
                "job_id": str(job_id),
                "status_url": f"/api/v1/assets/bulk/{job_id}",
                "message": "Import started; poll status_url for the result",
            },
            status=202,
        )

    async def _run(self, job_id: int) -> None:
        try:
            await self.db.write(bulk_import.mark_processing, job_id)
            await self.db.write(bulk_import.run_job, job_id)
        except Exception:
            log.exception("import job %s failed", job_id)
            await self.db.write(bulk_import.fail_job, job_id)


class BulkImportJobHandler(ApiHandler):
    methods = ("GET",)
    auth = "session"
    scopes = {"GET": "assets:read"}

    async def get(self, raw_id: str) -> None:
        if not raw_id.isdigit() or not 0 < int(raw_id) <= 2147483647:
            raise not_found(bulk_import.JOB_NOT_FOUND)
        view = await self.db.read(bulk_import.job_view, self.org_id, int(raw_id))
        self.send_json(view)
