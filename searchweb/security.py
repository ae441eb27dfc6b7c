"""Who may do what, and the headers that keep a browser safe: CSP and friends, CSRF, the admin token."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Flask, Request, current_app, request, session
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface

# Pages and their scripts come from this origin only; no inline script or style anywhere.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# JSON and scripts are never documents: they may load nothing.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked `Secure` whenever the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


class MarkupFreeJSON(DefaultJSONProvider):
    """JSON with `<`, `>` and `&` written as `\\u` escapes: no answer can ever be read as markup,
    even by a client that sniffs or pastes it into a page. (They only occur inside strings.)"""

    ensure_ascii = False  # French stays readable in the raw body
    sort_keys = False  # the engine orders its answers as the contract shows them

    def dumps(self, obj, **kwargs) -> str:
        text = super().dumps(obj, **kwargs)
        return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    html = response.mimetype == "text/html"
    headers.setdefault("Content-Security-Policy", PAGE_CSP if html else DATA_CSP)
    return response


def init_app(app: Flask) -> None:
    app.session_interface = SessionCookie()
    app.json = MarkupFreeJSON(app)
    app.after_request(_security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token


# --- the admin token -------------------------------------------------------------------------------

def admin_token() -> str | None:
    return current_app.config.get("ADMIN_TOKEN") or None


def token_matches(candidate: str | None) -> bool:
    """Whether `candidate` is the admin token, compared in constant time."""
    token = admin_token()
    if not token or not candidate:
        return False
    return hmac.compare_digest(candidate.encode(), token.encode())


def bearer_token(req: Request) -> str | None:
    """The token of an `Authorization: Bearer ...` header, if any (never one from the query string)."""
    scheme, _, value = req.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _token_fingerprint() -> str:
    # Stored in the session instead of a bare flag, so that changing the token ends every login
    # even when the session key is configured apart from the token.
    return hmac.new(current_app.secret_key.encode(), (admin_token() or "").encode(), hashlib.sha256).hexdigest()


def log_in() -> None:
    session.clear()
    session["admin"] = _token_fingerprint()
    session.permanent = False


def logged_in() -> bool:
    return admin_token() is not None and hmac.compare_digest(session.get("admin", ""), _token_fingerprint())


# --- CSRF --------------------------------------------------------------------------------------------

def csrf_token() -> str:
    """This session's CSRF token, made on first use; every form carries it."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def same_origin(req: Request) -> bool:
    """Whether the browser says this request comes from our own pages.

    Browsers send `Sec-Fetch-Site` (and `Origin` on a POST); a request without them is not a
    browser's, and the CSRF token alone decides.
    """
    site = req.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = req.headers.get("Origin")
    if origin is not None and origin != req.host_url.rstrip("/"):
        return False
    return True


def csrf_ok(req: Request) -> bool:
    """A state-changing request made with the session cookie: same origin, and the session's token."""
    expected = session.get(CSRF_FIELD)
    sent = req.form.get(CSRF_FIELD) or req.headers.get(CSRF_HEADER)
    if not expected or not sent or not same_origin(req):
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())
