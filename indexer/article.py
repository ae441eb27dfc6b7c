"""The Article record: what every reader yields and what the index stores."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields


@dataclass
class Article:
    """One published article, as plain data (plain text everywhere but `body_html`).

    `id` is stable across rebuilds (WordPress post id, a file's relative path, ...).
    `date` is ISO `YYYY-MM-DD` or "" when unknown. `body_html` is kept only so that
    quoted sources can be read from markup (`<cite>`, `<blockquote cite>`, links).
    """

    id: str
    title: str
    body: str
    url: str = ""
    date: str = ""
    author: str = ""
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    body_html: str = ""

    def content_hash(self) -> str:
        """Hash of everything read (markup included: quoted sources are found in it); an
        unchanged hash lets an incremental build skip the article."""
        # The fields by name, as `asdict` gives them, without its deep copy.
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.blake2b(blob, digest_size=16).hexdigest()


@dataclass(frozen=True)
class Skipped:
    """A record a reader could not turn into an Article, and why (for the build summary)."""

    where: str  # file, line or item id
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"
