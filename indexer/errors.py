"""Named errors of the engine; the CLI turns each into one line, the API into one JSON error."""


class ArchiveSearchError(Exception):
    """Base of every error the engine raises on purpose."""

    code = "error"


class SourceError(ArchiveSearchError):
    """A source as a whole cannot be read (missing, unknown format, unparseable)."""

    code = "bad_source"


class IndexBusy(ArchiveSearchError):
    """Another build holds the index lock; `job` is the running job, when known."""

    code = "busy"
    job: dict | None = None


class IndexMissing(ArchiveSearchError):
    """No published index in the index directory."""

    code = "no_index"


class BuildRefused(ArchiveSearchError):
    """A finished build was not published (no articles, far fewer than live, no space)."""

    code = "build_refused"


class BuildFailed(ArchiveSearchError):
    """A build stopped on an error while writing (a shard writer failed or died)."""

    code = "build_failed"


class QueryError(ArchiveSearchError):
    """A query or a search parameter the engine refuses (too long, too many terms, bad value)."""

    code = "bad_query"

    def __init__(self, message: str, param: str = "q"):
        super().__init__(message)
        self.param = param


class SearchTimeout(ArchiveSearchError):
    """A search ran over its time limit and was stopped (the worker is free again)."""

    code = "timeout"


class ArticleNotFound(ArchiveSearchError):
    code = "not_found"
