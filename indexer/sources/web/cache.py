"""What the URL readers keep between runs, in one small SQLite file beside the index
(`web-cache.sqlite`): each URL's validators (ETag, Last-Modified) and body, for conditional
requests; the articles of a sitemap's pages with their `lastmod`, for incremental runs.

Without an index folder (a source read alone) the cache lives in memory and is forgotten.
"""

from __future__ import annotations

import sqlite3
import time
import zlib
from pathlib import Path

FILE = "web-cache.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS http (
    url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, final_url TEXT,
    content_type TEXT, body BLOB, stored_at REAL);
CREATE TABLE IF NOT EXISTS pages (
    source TEXT, url TEXT, lastmod TEXT, article TEXT, stored_at REAL,
    PRIMARY KEY (source, url));
"""


def _open(target: str) -> sqlite3.Connection:
    # Builds are one at a time; the timeout only covers a second process reading.
    db = sqlite3.connect(target, timeout=30, isolation_level=None)
    # WAL without an fsync per write (measured: two fsyncs a page cost 40 ms of a page's 60):
    # a crash may lose the last writes, never the file, and a lost entry is only asked again.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_SCHEMA)
    return db


class WebCache:
    def __init__(self, state_dir: Path | str | None = None):
        target = str(Path(state_dir) / FILE) if state_dir is not None else ":memory:"
        if state_dir is not None:
            Path(state_dir).mkdir(parents=True, exist_ok=True)
        try:
            self.db = _open(target)
        except sqlite3.DatabaseError:
            # A cache is only a cache: a damaged file is started again (the next run asks in full).
            for suffix in ("", "-wal", "-shm"):
                Path(target + suffix).unlink(missing_ok=True)
            self.db = _open(target)

    # --- HTTP validators and bodies ------------------------------------------------------------

    def http_entry(self, url: str) -> dict | None:
        row = self.db.execute("SELECT etag, last_modified, final_url, content_type, body FROM http WHERE url = ?",
                              (url,)).fetchone()
        if row is None:
            return None
        etag, last_modified, final_url, content_type, body = row
        return {"etag": etag, "last_modified": last_modified, "final_url": final_url,
                "content_type": content_type, "body": zlib.decompress(body) if body is not None else None}

    def put_http(self, url: str, etag: str | None, last_modified: str | None, final_url: str,
                 content_type: str, body: bytes | None) -> None:
        if not etag and not last_modified:
            self.db.execute("DELETE FROM http WHERE url = ?", (url,))
            return
        self.db.execute("INSERT OR REPLACE INTO http VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (url, etag, last_modified, final_url, content_type,
                         zlib.compress(body, 6) if body is not None else None, time.time()))

    def forget_http(self, url: str) -> None:
        self.db.execute("DELETE FROM http WHERE url = ?", (url,))

    # --- a sitemap's pages --------------------------------------------------------------------

    def page(self, source: str, url: str) -> tuple[str, str] | None:
        """(lastmod, article JSON) of a page as the last run read it, or None."""
        return self.db.execute("SELECT lastmod, article FROM pages WHERE source = ? AND url = ?",
                               (source, url)).fetchone()

    def put_page(self, source: str, url: str, lastmod: str, article_json: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?)",
                        (source, url, lastmod, article_json, time.time()))

    def forget_pages(self, source: str, keep: set[str]) -> None:
        """Drops the pages of `source` the sitemap no longer lists (the cache never outgrows the site)."""
        known = [row[0] for row in self.db.execute("SELECT url FROM pages WHERE source = ?", (source,))]
        gone = [(source, url) for url in known if url not in keep]
        self.db.executemany("DELETE FROM pages WHERE source = ? AND url = ?", gone)

    def close(self) -> None:
        self.db.close()
