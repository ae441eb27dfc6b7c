"""Access logs as one JSON object a line (`archive-search serve --log-format json`), for a log shipper.

Fields: time (UTC, ISO 8601), method, path, status, duration_ms, bytes. Deliberately not the query
string (a reader's search words stay out of logs: the analytics keep them, counted and pruned), nor
the client's address or user agent (a proxy in front logs those if the operator needs them).
"""

from __future__ import annotations

import json
import traceback
from datetime import datetime, timezone

from gunicorn.glogging import Logger


class JsonAccessLogger(Logger):
    """gunicorn's logger with its access line replaced by a JSON object (its error log unchanged)."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        try:
            status = int(status)
        except (TypeError, ValueError):
            status = None
        line = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": status,
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "bytes": getattr(resp, "sent", None),
        }
        try:
            self.access_log.info(json.dumps(line, ensure_ascii=False))
        except Exception:  # noqa: BLE001 - as gunicorn's own access(): a log line never fails a request
            self.error(traceback.format_exc())
