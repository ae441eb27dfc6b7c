"""A real HTTP server on 127.0.0.1 for the URL sources' tests: a small static French site with a
theme (header, nav, sidebar, footer), its sitemap index, RSS and Atom feeds, robots.txt, ETag
and Last-Modified, and the faults a crawler meets (a redirect loop, a slow or dripping server,
a 500, garbage, HTML where XML is expected, a huge and an endless sitemap).

Every request is logged (path and headers) so that tests can check what the client sent.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import html
import socket
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

THEME_WORDS = ("menuthemeword", "sidebarthemeword", "footerthemeword", "headerthemeword")

POSTS = {
    "cloud-souverain": ("Le cloud souverain", "2021-03-04", ["cloud", "souveraineté"],
                        "Les hébergeurs français proposent un cloud souverain aux entreprises numériques."),
    "maturite-numerique": ("La maturité numérique viendra à tous", "2015-04-11", ["numérique"],
                           "Les entreprises artisanales découvrent la transformation numérique, lentement."),
    "metiers-du-digital": ("Les métiers du digital", "2015-05-02", ["métiers"],
                           "Ne soyez pas le marteau pour lequel tout ressemble à un clou : les manœuvres du digital."),
}
LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)


def themed_page(title: str, body: str, date: str = "", tags=(), extra_head: str = "", extra_body: str = "") -> str:
    """A page as a WordPress theme prints it: the article inside header, nav, sidebar and footer."""
    tag_links = " ".join(f'<a href="/tag/{html.escape(t)}" rel="tag">{html.escape(t)}</a>' for t in tags)
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)} | Culture numérique</title>
<meta property="og:site_name" content="Culture numérique">{extra_head}</head>
<body>
<header id="masthead"><p class="site-title">Culture numérique headerthemeword</p>
<nav class="main-navigation"><ul><li><a href="/">Accueil menuthemeword</a></li></ul></nav></header>
<main id="main"><article class="post">
<h1 class="entry-title">{html.escape(title)}</h1>
<time datetime="{date}">{date}</time>
<div class="entry-content"><p>{html.escape(body)}</p>{extra_body}</div>
<footer class="entry-footer">{tag_links}</footer>
</article></main>
<aside id="secondary" class="widget-area"><section class="widget">Articles récents sidebarthemeword</section></aside>
<footer id="colophon">© Culture numérique footerthemeword</footer>
</body></html>"""


def sitemap(urls: list[tuple[str, str]]) -> str:
    entries = "".join(f"<url><loc>{html.escape(u)}</loc>" + (f"<lastmod>{m}</lastmod>" if m else "") + "</url>"
                      for u, m in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>')


def sitemap_index(urls: list[str]) -> str:
    entries = "".join(f"<sitemap><loc>{html.escape(u)}</loc></sitemap>" for u in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>')


def rss(base: str) -> str:
    items = "".join(f"""<item><title>{html.escape(t)}</title><link>{base}/posts/{slug}.html</link>
<guid isPermaLink="false">{base}/?p={n}</guid><pubDate>{_rfc2822(d)}</pubDate>
<dc:creator><![CDATA[Alice Martin]]></dc:creator>{''.join(f'<category><![CDATA[{c}]]></category>' for c in tags)}
<description><![CDATA[{body[:40]}…]]></description>
<content:encoded><![CDATA[<p>{body}</p><script>alert("x")</script>]]></content:encoded></item>"""
                    for n, (slug, (t, d, tags, body)) in enumerate(POSTS.items(), 1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Culture numérique</title><link>{base}/</link><description>Un blog</description>{items}
<item><title>Protégé : un billet privé</title><link>{base}/posts/protege.html</link><guid>{base}/?p=99</guid>
<content:encoded><![CDATA[<form action="/wp-login.php?action=postpass" class="post-password-form" method="post"><p>Ce contenu est protégé par un mot de passe.</p></form>]]></content:encoded></item>
</channel></rss>"""


def atom(base: str) -> str:
    entries = "".join(f"""<entry><title>{html.escape(t)}</title><id>urn:culture:{slug}</id>
<link rel="alternate" href="{base}/posts/{slug}.html"/><published>{d}T10:00:00+01:00</published>
<updated>{d}T10:00:00+01:00</updated><author><name>Bruno Petit</name></author>
{''.join(f'<category term="{html.escape(c)}"/>' for c in tags)}
<content type="html">{html.escape(f'<p>{body}</p>')}</content></entry>"""
                      for slug, (t, d, tags, body) in POSTS.items())
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Culture numérique</title><id>urn:culture</id>
<updated>2021-03-04T10:00:00Z</updated>{entries}</feed>"""


def _rfc2822(day: str) -> str:
    y, m, d = map(int, day.split("-"))
    import calendar
    return formatdate(calendar.timegm((y, m, d, 10, 0, 0)), usegmt=True)


class Site:
    """The server: `routes` maps a path to (status, content type, body) or to a callable
    handler(request) that answers itself. `log` holds (path, headers) of every request."""

    def __init__(self, port: int = 0):
        self.routes: dict = {}
        self.log: list[tuple[str, dict]] = []
        self.times: list[tuple[str, float]] = []  # (path, monotonic time) of every request
        self.lastmod = {slug: d for slug, (_, d, _, _) in POSTS.items()}
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms wait for an ACK

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                site.log.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                site.times.append((self.path, time.monotonic()))
                path = self.path.split("?")[0]
                route = site.routes.get(path)
                if route is None and path.startswith("/endless/"):
                    route = (200, "text/html", themed_page(f"Page {path[9:]}", f"La page sans fin numéro {path[9:]}."))
                if route is None:
                    return self.answer(404, "text/html", "<h1>Introuvable</h1>")
                if callable(route):
                    return route(self)
                return self.answer(*route)

            def answer(self, status: int, content_type: str, body, headers: dict | None = None,
                       validators: bool = True):
                data = body.encode("utf-8") if isinstance(body, str) else body
                headers = dict(headers or {})
                if validators and status == 200:
                    etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
                    headers.setdefault("ETag", etag)
                    headers.setdefault("Last-Modified", LAST_MODIFIED)
                    if self.headers.get("If-None-Match") == etag:
                        status, data = 304, b""
                self.send_response(status)
                if status != 304:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that closes its keep-alive connection is no news

        self.server = Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "Site":
        _bomb()  # made before any request: making it must not look like a slow server
        self.thread.start()
        self.static()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests_to(self, path: str) -> list[dict]:
        return [headers for p, headers in self.log if p.split("?")[0] == path]

    def static(self) -> None:
        """The static site: theme, sitemaps, feeds, robots.txt, a page robots.txt forbids, a
        noindex page, a password-protected page and a listed page that is gone."""
        base, r = self.base, self.routes
        r["/robots.txt"] = (200, "text/plain", "User-agent: *\nDisallow: /private/\n")
        for slug, (title, day, tags, body) in POSTS.items():
            r[f"/posts/{slug}.html"] = (200, "text/html; charset=utf-8", themed_page(title, body, day, tags))
        r["/private/secret.html"] = (200, "text/html", themed_page("Secret", "motsecretrobots"))
        r["/a-propos.html"] = (200, "text/html", themed_page("À propos", "Un blog sur la culture numérique."))
        r["/posts/cache.html"] = (200, "text/html", themed_page("Brouillon", "motnoindex",
                                                                extra_head='<meta name="robots" content="noindex">'))
        r["/posts/protege.html"] = (200, "text/html", themed_page("Protégé", "", extra_body=(
            '<form class="post-password-form" action="/wp-login.php?action=postpass" method="post">'
            '<p>motdepasseprotege</p></form>')))
        r["/sitemap.xml"] = (200, "application/xml", sitemap_index([f"{base}/sitemap-posts.xml", f"{base}/sitemap-misc.xml"]))
        r["/sitemap-posts.xml"] = lambda req: req.answer(200, "application/xml", sitemap(
            [(f"{base}/posts/{slug}.html", self.lastmod[slug]) for slug in POSTS]))
        r["/sitemap-misc.xml"] = (200, "text/xml", sitemap([
            (f"{base}/private/secret.html", ""), (f"{base}/posts/cache.html", ""),
            (f"{base}/posts/protege.html", ""), (f"{base}/posts/disparu.html", ""), (f"{base}/a-propos.html", ""),
            ("http://elsewhere.invalid/page.html", ""), (f"{base}/posts/cloud-souverain.html", "")]))
        r["/feed.rss"] = (200, "application/rss+xml; charset=UTF-8", rss(base))
        r["/feed.atom"] = (200, "application/atom+xml", atom(base))
        r["/"] = (200, "text/html", themed_page("Accueil", "Bienvenue", extra_head=(
            f'<link rel="alternate" type="application/rss+xml" href="{base}/feed.rss">')))
        self.faults()

    def faults(self) -> None:
        base, r = self.base, self.routes
        r["/loop/a"] = (302, "text/html", "", {"Location": "/loop/b"})
        r["/loop/b"] = (302, "text/html", "", {"Location": f"{base}/loop/a"})
        r["/error500"] = (500, "text/html", "<h1>Erreur</h1>")
        r["/garbage.xml"] = (200, "application/xml", bytes(range(256)) * 64)
        r["/html-as-sitemap.xml"] = (200, "text/xml", themed_page("Pas un sitemap", "rien"))
        r["/index-to-html.xml"] = (200, "application/xml", sitemap_index([f"{base}/html-as-sitemap.xml"]))
        r["/broken-sitemap.xml"] = (200, "application/xml",
                                    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                    '<url><loc>/posts/cloud-souverain.html</loc></url><url><loc')
        r["/sitemap-with-a-down-page.xml"] = (200, "application/xml", sitemap([
            (f"{base}/posts/cloud-souverain.html", ""), (f"{base}/error500", "")]))
        r["/slow"] = self._slow
        r["/drip-sitemap.xml"] = self._drip
        r["/endless-sitemap.xml"] = self._endless
        r["/big.html"] = (200, "text/html", themed_page("Gros", "gros " * 400_000))
        laughs = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
        r["/laughs-sitemap.xml"] = (200, "application/xml", (
            f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY l0 "lol">{laughs}]>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{base}/posts/&l9;.html</loc></url>'
            f'<url><loc>{base}/posts/cloud-souverain.html</loc></url></urlset>'))
        r["/xxe-feed.rss"] = (200, "application/rss+xml", (
            '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
            '<rss version="2.0"><channel><title>t</title><item><title>Fuite</title><guid>xxe-1</guid>'
            '<description>avant &secret; après</description></item></channel></rss>'))
        # WordPress sends its REST API link with every front-end answer, its feeds included.
        wp_link = {"Link": f'<{base}/wp-json/>; rel="https://api.w.org/"'}
        r["/wp/feed/"] = (200, "application/rss+xml; charset=UTF-8", rss(base), wp_link)
        r["/busy-once.rss"] = self._busy_once
        for hop in range(7):  # a chain of 7 redirects, no loop
            r[f"/hop/{hop}"] = (301, "text/html", "", {"Location": f"/hop/{hop + 1}"})
        r["/hop/7"] = (200, "application/rss+xml", rss(base))
        # Sitemap indexes naming each other in a circle, and nested 6 deep.
        r["/cycle-a.xml"] = (200, "application/xml", sitemap_index([f"{base}/cycle-b.xml", f"{base}/sitemap-posts.xml"]))
        r["/cycle-b.xml"] = (200, "application/xml", sitemap_index([f"{base}/cycle-a.xml"]))
        for depth in range(6):
            r[f"/nest-{depth}.xml"] = (200, "application/xml", sitemap_index([f"{base}/nest-{depth + 1}.xml"]))
        r["/nest-6.xml"] = (200, "application/xml", sitemap([(f"{base}/posts/cloud-souverain.html", "")]))
        r["/to-ftp"] = (302, "text/html", "", {"Location": "ftp://127.0.0.1/feed.rss"})
        # 20 MB of zeros in 20 KB: what the client counts is what it decodes.
        r["/bomb.xml"] = lambda req: req.answer(200, "application/xml", _bomb(), {"Content-Encoding": "gzip"})
        r["/sitemap.xml.gz"] = lambda req: req.answer(200, "application/gzip", gzip.compress(sitemap(
            [(f"{base}/posts/{slug}.html", self.lastmod[slug]) for slug in POSTS]).encode()))

    def _busy_once(self, req) -> None:
        """503 with Retry-After: 1 to the first request, the feed to the next."""
        if len(self.requests_to("/busy-once.rss")) == 1:
            return req.answer(503, "text/html", "<h1>Trop de monde</h1>", {"Retry-After": "1"})
        req.answer(200, "application/rss+xml", rss(self.base))

    @staticmethod
    def _slow(req) -> None:
        time.sleep(5)
        req.answer(200, "application/rss+xml", "<rss version='2.0'><channel></channel></rss>")

    @staticmethod
    def _drip(req) -> None:
        """Headers at once, then a byte every 0.2 s: only the client's deadline stops it."""
        req.send_response(200)
        req.send_header("Content-Type", "application/xml")
        req.end_headers()
        try:
            for _ in range(300):
                req.wfile.write(b" ")
                req.wfile.flush()
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _endless(self, req) -> None:
        """A sitemap that never ends, streamed fast (chunked, no length)."""
        req.send_response(200)
        req.send_header("Content-Type", "application/xml")
        req.send_header("Transfer-Encoding", "chunked")
        req.end_headers()

        def chunk(data: bytes) -> None:
            req.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        try:
            chunk(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
            n = 0
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                chunk(b"".join(b"<url><loc>%s/endless/%d.html</loc></url>" % (self.base.encode(), n + i)
                               for i in range(500)))
                n += 500
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass


BOMB_MB = 20


@functools.cache
def _bomb() -> bytes:
    return gzip.compress(b"\0" * (BOMB_MB * 1024 * 1024), 6)


def refused_url() -> str:
    """A URL on a port where nothing listens (bound then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.rss"
