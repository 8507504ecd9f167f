"""The review web app: a Flask application over one store, served by waitress.

:func:`create_app` wires the reviewer's and the supervisor's pages over a
:class:`~linkage.review.storage.ReviewStore`, behind the guard of
:mod:`linkage.review.security`. Pages are rendered on the server from the templates
beside this module; the stylesheet and the one script are served by the app itself,
so the app works on an intranet with no way out.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from linkage.errors import ReviewError
from linkage.review import supervise, views
from linkage.review.config import ReviewConfig
from linkage.review.context import EXTENSION, ReviewContext
from linkage.review.queue import pair_token
from linkage.review.security import add_headers, csrf_token, guard
from linkage.review.storage import ReviewStore
from linkage.review.texts import (
    DECISION_TEXTS,
    REASON_TITLES,
    reason_text,
    text_for,
)

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 64 * 1024

_ERROR_TEXTS: dict[int, str] = {
    400: "请求无效：表单可能已过期，请刷新页面后重试。",
    401: "请先登录。",
    403: "您没有访问此页面的权限。",
    404: "页面不存在。",
    405: "不支持此操作。",
    413: "提交的内容过长。",
    500: "服务器内部错误，请联系管理员。",
}


def create_app(store: ReviewStore, config: ReviewConfig | None = None) -> Flask:
    """The review app over an open store.

    Args:
        store: The store a run wrote; it must hold the review queue.
        config: Lease, session and sampling settings; defaults when None.

    Raises:
        ReviewError: The store lacks the tables a run writes.
    """
    config = config or ReviewConfig()
    missing = store.missing_tables()
    if missing:
        raise ReviewError(
            f"{store.path}: the store has no {', '.join(missing)}; "
            "run 'yidang link' on the project first"
        )
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key or store.secret_key(),
        SESSION_COOKIE_NAME="yd_review",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        PERMANENT_SESSION_LIFETIME=config.session,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions[EXTENSION] = ReviewContext.build(store, config)
    app.before_request(guard)
    app.after_request(add_headers)
    app.register_blueprint(views.bp)
    app.register_blueprint(supervise.bp)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _http_error)
    _add_template_helpers(app)
    return app


def _http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    message = _ERROR_TEXTS.get(status, "出现错误，请稍后重试。")
    return render_template("message.html", message=message, status=status), status


def _add_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(
        csrf_token=csrf_token,
        reason_text=reason_text,
        pair_token=pair_token,
    )
    app.jinja_env.filters.update(
        localtime=_localtime,
        percent=_percent,
        number=_number,
        decision=lambda code: text_for(DECISION_TEXTS, code),
        reason_title=lambda code: text_for(REASON_TITLES, code),
    )


def _localtime(moment: dt.datetime | None) -> str:
    """A naive UTC time in the server's time zone, to the second."""
    if moment is None:
        return ""
    return moment.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"
