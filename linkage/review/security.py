"""The guard in front of every request: login, session expiry, CSRF and headers.

Nothing is reachable without a login except the login page and the static files.
Sessions live in a signed cookie that carries when the login began and when the user
was last seen, both read from the store's clock; a login ends after the configured
span or idle time. Every POST must carry the session's CSRF token (as the form field
``csrf_token`` or the ``X-CSRF-Token`` header), and a POST whose Origin names another
site is refused.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from urllib.parse import urlsplit

from flask import Response, abort, flash, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from linkage.review.auth import get_user
from linkage.review.context import context

logger = logging.getLogger(__name__)

PUBLIC_ENDPOINTS = frozenset({"static", "review.login"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def epoch(moment: dt.datetime) -> float:
    """Seconds since 1970 of a naive UTC time."""
    return moment.replace(tzinfo=dt.UTC).timestamp()


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def start_session(user_name: str) -> None:
    """Begin a fresh login: a new session with a new CSRF token."""
    now = epoch(context().now())
    session.clear()
    session.permanent = True
    session["user"] = user_name
    session["issued"] = now
    session["seen"] = now
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


def guard() -> ResponseReturnValue | None:
    """Run before every request: expire, authenticate, check CSRF."""
    g.user = None
    if request.endpoint == "static":
        return None
    _expire_stale_session()
    name = session.get("user")
    if isinstance(name, str):
        g.user = get_user(context().store, name)
        if g.user is None:
            session.clear()
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.method in SAFE_METHODS:
            return redirect(url_for("review.login", next=_local_path()))
        abort(401)
    if request.method not in SAFE_METHODS:
        _check_origin()
        _check_csrf()
    if g.user is not None:
        session["seen"] = epoch(context().now())
    return None


def add_headers(response: Response) -> Response:
    """Security headers on every response; no caching of pages with personal data."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(target: str | None, default: str) -> str:
    """A redirect target only if it is a path on this site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or urlsplit(target).netloc:
        return default
    return target


def _local_path() -> str:
    query = request.query_string.decode("utf-8", "replace")
    return request.path + (f"?{query}" if query else "")


def _expire_stale_session() -> None:
    if "user" not in session:
        return
    config = context().config
    now = epoch(context().now())
    issued = float(session.get("issued", 0.0))
    seen = float(session.get("seen", 0.0))
    too_old = now - issued > config.session.total_seconds()
    idle = now - seen > config.idle.total_seconds()
    if too_old or idle:
        session.clear()
        flash("登录已过期，请重新登录。", "warning")


def _check_origin() -> None:
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return
    if urlsplit(origin).netloc != request.host:
        abort(403)


def _check_csrf() -> None:
    expected = session.get(CSRF_FIELD)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not isinstance(expected, str) or not sent:
        abort(400)
    if not hmac.compare_digest(expected.encode(), sent.encode()):
        abort(400)
