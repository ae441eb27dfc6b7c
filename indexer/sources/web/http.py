"""The one polite HTTP client of every URL reader (httpx underneath, protego for robots.txt).

Polite: it names the product in its User-Agent, asks robots.txt first (and honours its
Crawl-delay), waits between two requests to one host, follows few redirects, and sends back
the validators it kept (If-None-Match / If-Modified-Since). Bounded: connect and read
timeouts plus a deadline for the whole answer (a server dripping one byte a second), a size
limit per answer read as a stream and cut off, redirects counted and loops named. Every
failure is a FetchError whose text is one line: "<url>: <reason>".
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from indexer import __version__
from indexer.errors import SourceError
from indexer.sources.web.cache import WebCache

PRODUCT = "archive-search"
USER_AGENT = f"{PRODUCT}/{__version__} (search indexer; honours robots.txt)"
REDIRECTS = (301, 302, 303, 307, 308)
ROBOTS_MAX_BYTES = 512 * 1024  # Google's limit: rules past it are ignored
MAX_CRAWL_DELAY = 60.0         # a robots.txt asking more is read as asking this much
MAX_RETRY_AFTER = 10.0         # a 429/503 asking to come back within this many seconds is asked again, once


@dataclass
class Settings:
    """The client's limits; `from_env` reads them from the environment (README, Settings)."""

    timeout: float = 20.0         # to connect, and between two chunks of an answer
    deadline: float = 120.0       # for a whole answer (6 timeouts), however it trickles in
    max_bytes: int = 10 * 1024 * 1024
    delay: float = 0.25           # seconds between two requests to one host (more if robots.txt asks)
    max_redirects: int = 5
    user_agent: str = USER_AGENT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        settings = cls()
        names = {"ARCHIVE_SEARCH_HTTP_TIMEOUT": "timeout", "ARCHIVE_SEARCH_HTTP_DELAY": "delay",
                 "ARCHIVE_SEARCH_HTTP_MAX_MB": "max_bytes"}
        for name, attr in names.items():
            raw = environ.get(name, "").strip()
            if not raw:
                continue
            try:
                value = float(raw)
                if value < 0 or value != value or value == float("inf"):
                    raise ValueError
            except ValueError:
                raise SourceError(f"{name}={raw!r}: expected a number of "
                                  f"{'megabytes' if attr == 'max_bytes' else 'seconds'}") from None
            if attr == "max_bytes":
                settings.max_bytes = max(1, int(value * 1024 * 1024))
            else:
                setattr(settings, attr, value)
        # A whole answer may take a few read timeouts' worth, however it trickles in.
        settings.deadline = 6 * settings.timeout
        return settings


class FetchError(SourceError):
    """A URL could not be read: one line, `<url>: <reason>`. `status` is the HTTP status when
    there was one; `transient` says whether trying later may succeed (network, timeout, 5xx, 429)."""

    def __init__(self, url: str, reason: str, status: int | None = None, transient: bool = False,
                 retry_after: float | None = None):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.status, self.transient = url, reason, status, transient
        self.retry_after = retry_after  # seconds a 429 or 503 asked to wait, when it said so


@dataclass
class Response:
    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    content: bytes
    from_cache: bool = False
    not_modified: bool = False
    truncated: bool = False
    _json: object = field(default=None, repr=False)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"')
        return None

    @property
    def text(self) -> str:
        try:
            return self.content.decode(self.charset or "utf-8", errors="replace")
        except LookupError:  # an unknown charset name
            return self.content.decode("utf-8", errors="replace")

    def json(self):
        if self._json is None:
            import json

            try:
                self._json = json.loads(self.content)
            except (ValueError, UnicodeDecodeError):
                raise self.error(f"malformed JSON ({describe(self.content_type, self.content)})") from None
        return self._json

    def error(self, reason: str) -> FetchError:
        return FetchError(self.url, reason)


class Client:
    """One per build: shared by its URL readers, so the rate per host and robots.txt hold across them."""

    def __init__(self, state_dir=None, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self.cache = WebCache(state_dir)
        self.http = httpx.Client(
            follow_redirects=False,  # followed here: each hop is checked (scheme, robots, loops)
            timeout=httpx.Timeout(self.settings.timeout),
            headers={"User-Agent": self.settings.user_agent},
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        )
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, Protego | FetchError | None] = {}
        self.requests = 0  # sent, robots.txt included (for reports and tests)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()
        self.cache.close()

    def get(self, url: str, *, conditional: bool = True, keep_body: bool = True, accept: str | None = None,
            max_bytes: int | None = None, truncate: bool = False) -> Response:
        """GET `url` politely; see the package's docstring for what comes back and what is raised."""
        _check_scheme(url, url)
        entry = self.cache.http_entry(url) if conditional else None
        if entry is not None and keep_body and entry["body"] is None:
            entry = None  # validators without the body they validate: ask in full
        headers = {"Accept": accept} if accept else {}
        if entry is not None:
            if entry["etag"]:
                headers["If-None-Match"] = entry["etag"]
            if entry["last_modified"]:
                headers["If-Modified-Since"] = entry["last_modified"]
        response = self._follow(url, headers, max_bytes or self.settings.max_bytes, truncate)
        if response.status == 304:
            if entry is None:
                raise FetchError(url, "HTTP 304 Not Modified to a request that was not conditional")
            if keep_body:
                headers = httpx.Headers(response.headers)
                if entry["content_type"] and "content-type" not in headers:
                    headers["content-type"] = entry["content_type"]  # a 304 has none: the kept body's
                return Response(url, entry["final_url"] or url, 200, headers, entry["body"], from_cache=True)
            return Response(url, entry["final_url"] or url, 304, response.headers, b"", not_modified=True)
        if not response.truncated:  # kept even when not sent this time: the next run sends them
            self.cache.put_http(url, response.headers.get("etag"), response.headers.get("last-modified"),
                                response.final_url, response.headers.get("content-type", ""),
                                response.content if keep_body else None)
        return response

    def forget(self, url: str) -> None:
        """Drops what the cache keeps of `url` (its caller's own copy was lost)."""
        self.cache.forget_http(url)

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets this product fetch `url` (fetching robots.txt when needed)."""
        rules = self._rules(url)
        return rules is None or rules.can_fetch(url, PRODUCT)

    # --- internals ------------------------------------------------------------------------------------

    def _follow(self, url: str, headers: dict, max_bytes: int, truncate: bool, robots: bool = True) -> Response:
        chain = [url]
        current = url
        while True:
            where = "" if current == url else f" (redirected to {current})"
            try:
                allowed = not robots or self.allowed(current)
            except FetchError as error:  # robots.txt of a site a redirect led to could not be read
                raise FetchError(url, error.reason + where, error.status, error.transient) from None
            if not allowed:
                raise FetchError(url, f"robots.txt disallows it for {PRODUCT}{where}")
            try:
                response = self._one(url, current, headers, max_bytes, truncate)
            except FetchError as error:
                wait = error.retry_after
                if wait is None or wait > MAX_RETRY_AFTER:
                    raise
                time.sleep(wait)  # the server asked for a short pause (429, 503): once, then its answer stands
                response = self._one(url, current, headers, max_bytes, truncate)
            if response.status not in REDIRECTS:
                response.url = url
                return response
            location = response.headers.get("location")
            if not location:
                raise FetchError(url, f"HTTP {response.status} redirect without a Location")
            target = urljoin(current, location.strip())
            _check_scheme(url, target)
            if target in chain:
                raise FetchError(url, "redirect loop (" + " -> ".join(chain[chain.index(target):] + [target]) + ")")
            if len(chain) > self.settings.max_redirects:
                raise FetchError(url, f"more than {self.settings.max_redirects} redirects (last to {target})")
            chain.append(target)
            current = target

    def _one(self, asked: str, url: str, headers: dict, max_bytes: int, truncate: bool) -> Response:
        """One request, after the host's delay; the body read as a stream, within the limits."""
        self._wait_turn(url)
        started = time.monotonic()
        try:
            with self.http.stream("GET", url, headers=headers) as answer:
                status = answer.status_code
                if status in REDIRECTS or status == 304:
                    return Response(asked, url, status, answer.headers, b"")
                if status >= 400:
                    raise FetchError(asked, f"HTTP {status} {answer.reason_phrase}".rstrip() + _via(asked, url),
                                     status=status, transient=status >= 500 or status == 429,
                                     retry_after=_retry_after(answer.headers) if status in (429, 503) else None)
                declared = answer.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes and not truncate:
                    raise FetchError(asked, f"larger than {human_size(max_bytes)} ({human_size(int(declared))} announced)")
                chunks, size, truncated = [], 0, False
                for chunk in answer.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > max_bytes:
                        if not truncate:
                            raise FetchError(asked, f"larger than {human_size(max_bytes)}, cut off")
                        truncated = True
                        break
                    if time.monotonic() - started > self.settings.deadline:
                        raise FetchError(asked, f"timed out: the answer took over {self.settings.deadline:g} s",
                                         transient=True)
                body = b"".join(chunks)[:max_bytes] if truncated else b"".join(chunks)
                return Response(asked, url, status, answer.headers, body, truncated=truncated)
        except httpx.TimeoutException:
            raise FetchError(asked, f"timed out after {self.settings.timeout:g} s" + _via(asked, url),
                             transient=True) from None
        except httpx.HTTPError as error:
            raise FetchError(asked, _network_reason(error) + _via(asked, url), transient=True) from None
        finally:
            self.requests += 1
            self._last_request[_origin(url)] = time.monotonic()

    def _wait_turn(self, url: str) -> None:
        origin = _origin(url)
        delay = self.settings.delay
        rules = self._robots.get(origin)
        if isinstance(rules, Protego):
            asked = rules.crawl_delay(PRODUCT)
            if asked:
                delay = max(delay, min(float(asked), MAX_CRAWL_DELAY))
        last = self._last_request.get(origin)
        if last is not None:
            wait = last + delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)

    def _rules(self, url: str) -> Protego | None:
        """The robots.txt rules of `url`'s origin, asked once per client (RFC 9309: a 4xx means
        no rules; a 5xx means everything is disallowed, for now)."""
        origin = _origin(url)
        if origin not in self._robots:
            robots_url = origin + "/robots.txt"
            try:
                answer = self._follow(robots_url, {}, ROBOTS_MAX_BYTES, truncate=True, robots=False)
                self._robots[origin] = Protego.parse(answer.text)
            except FetchError as error:
                if error.status is not None and 400 <= error.status < 500:
                    self._robots[origin] = None
                elif error.status is not None:
                    self._robots[origin] = FetchError(
                        url, f"robots.txt answered HTTP {error.status}: nothing is fetched until it answers",
                        status=error.status, transient=True)
                else:
                    self._robots[origin] = FetchError(url, error.reason, transient=error.transient)
        rules = self._robots[origin]
        if isinstance(rules, FetchError):
            raise FetchError(url, rules.reason, status=rules.status, transient=rules.transient)
        return rules


def _retry_after(headers) -> float | None:
    """`Retry-After` in seconds, when given as a number (a date is taken as 'not soon')."""
    value = headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


def _check_scheme(asked: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        where = "" if asked == url else f" (redirected to {url})"
        raise FetchError(asked, f"only http and https URLs are read{where}")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _via(asked: str, url: str) -> str:
    return "" if asked == url else f" (at {url})"


def _network_reason(error: httpx.HTTPError) -> str:
    """The cause of a network failure in a few words (httpx wraps the socket's error)."""
    cause = error.__cause__ or error.__context__
    while cause is not None and not isinstance(cause, OSError) and (cause.__cause__ or cause.__context__):
        cause = cause.__cause__ or cause.__context__
    text = str(cause if isinstance(cause, OSError) else error) or type(error).__name__
    lowered = text.lower()
    if "connection refused" in lowered:
        return "cannot connect (connection refused)"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "no address" in lowered:
        return "cannot connect (unknown host name)"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"malformed HTTP answer ({text.splitlines()[0][:120]})"
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect ({text.splitlines()[0][:120]})"
    return f"network error ({text.splitlines()[0][:120]})"


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def describe(content_type: str, body: bytes) -> str:
    """An unexpected answer in a few words: its type, and its first characters if they are text."""
    start = body[:40].decode("utf-8", errors="replace").strip()
    if not start:
        return "an empty answer"
    kind = content_type or "no content type"
    if sum(not (c.isprintable() or c.isspace()) for c in start) > 2:
        return f"{kind}, {human_size(len(body))} of binary data"
    return f"{kind}, starting {start!r}"
