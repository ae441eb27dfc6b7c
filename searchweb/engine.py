"""The engine as a request sees it: this process's IndexStore, its recent answers, the archive a reindex reads."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import current_app

from indexer.sample import SAMPLE_ARCHIVE
from indexer.search import SearchRequest, search, settings_version
from indexer.search import IndexStore

from . import metrics


def store() -> IndexStore:
    """The process's one IndexStore (created by `create_app`)."""
    return current_app.extensions["archive_search.store"]


class AnswerCache:
    """The last answers of this process, by (index generation, normalised request).

    A new generation changes every key, so nothing is ever stale; popular searches (the empty
    query of the landing page, a widget's first load) are computed once per generation.
    """

    def __init__(self, size: int = 256):
        self.size = size
        self._answers: OrderedDict[tuple, dict] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(generation: str, req: SearchRequest) -> tuple:
        filters = tuple((name, tuple(sorted(values))) for name, values in sorted(req.filters.items()) if values)
        return (generation, req.q, req.page, req.per_page, req.sort, filters, req.date_from, req.date_to, req.debug)

    def answer(self, index: IndexStore, req: SearchRequest) -> dict:
        """The engine's answer to `req`; callers must treat it as read-only, it is shared."""
        return self.lookup(index, req)[0]

    def lookup(self, index: IndexStore, req: SearchRequest) -> tuple[dict, bool]:
        """The answer to `req`, and whether it came from the cache."""
        key = self.key(index_state(index), req)
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key], True
        limit = current_app.config.get("SEARCH_TIME_LIMIT")
        kwargs = {} if limit is None else {"time_limit": float(limit)}
        # run(): a generation found damaged at read time is set aside and the search answered
        # from the fallback, rather than failing every request with a 500.
        answer = index.run(lambda: search(index, req, **kwargs))
        with self._lock:
            self._answers[key] = answer
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return answer, False


def index_state(index: IndexStore) -> str:
    """What an answer depends on besides the request: the published generation and the version
    of the editor's synonyms and pins (both change without a restart)."""
    return f"{index.current().name}+settings-{settings_version(index)}"


def search_answer(req: SearchRequest) -> dict:
    """The one search of the web layer: the page and the API both ask here.

    Each answered search is counted for the operators (metrics) and, when a reader typed words
    and looks at the first page, for the editor (analytics: paging and empty-box browsing are
    not new searches). Neither can fail or slow the search: a counter, and a queue that drops."""
    started = time.perf_counter()
    answer, cached = current_app.extensions["archive_search.answers"].lookup(store(), req)
    metrics.observe_search(time.perf_counter() - started, answer["total"], cached)
    recorder = current_app.extensions.get("archive_search.analytics")
    if recorder is not None and req.q and req.page == 1:
        recorder.search(req.q, answer["total"])
    return answer


def archive_sources(configured: list[str] | None) -> list[str]:
    """What a build reads: the configured archive, else the bundled sample (so a newcomer gets a search)."""
    return list(configured) if configured else [SAMPLE_ARCHIVE]
