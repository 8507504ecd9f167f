"""The reviewer's pages: login, the queue, one item at a time, and the decision.

A reviewer takes the next item (or a chosen one), which leases it; the item page
shows the two records side by side; the decision is written and the next item
follows. Everything a reviewer opens, reveals and decides is audited.
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from linkage.errors import ReviewError
from linkage.review import audit
from linkage.review.audit import Action
from linkage.review.auth import authenticate
from linkage.review.context import context, current_user
from linkage.review.decisions import count_by, parse_decision, record_decision
from linkage.review.leases import ItemUnavailable
from linkage.review.queue import ItemState
from linkage.review.security import epoch, safe_next, start_session
from linkage.review.texts import DECISION_TEXTS

logger = logging.getLogger(__name__)

bp = Blueprint("review", __name__)

MAX_SKIPPED = 50
"""Items a session remembers as skipped, at most."""

QUEUE_SHOWN = 300
"""Queue items listed on the queue page, at most."""

_UNAVAILABLE: dict[ItemState | None, tuple[int, str]] = {
    None: (404, "没有这个审核条目，可能已在新一轮比对后移出队列。"),
    ItemState.HELD: (409, "该条目正由其他审核员处理，请领取下一条。"),
    ItemState.DECIDED_BY_ME: (409, "您已审核过该条目。"),
    ItemState.DONE: (409, "该条目已完成审核。"),
}


def blind_mode() -> bool:
    """Whether match probabilities are hidden for this user in this session."""
    return current_user().blind or bool(session.get("blind"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The login form, and logging in."""
    target = safe_next(request.values.get("next"), url_for("review.queue"))
    if request.method == "GET":
        return render_template("login.html", next=target, error=None)
    ctx = context()
    name = request.form.get("name", "").strip()[:64]
    password = request.form.get("password", "")
    if ctx.throttle.locked(name, ctx.now()):
        minutes = int(ctx.config.login_lockout.total_seconds() // 60)
        error = f"登录失败次数过多，请 {minutes} 分钟后再试。"
        return render_template("login.html", next=target, error=error), 429
    user = authenticate(ctx.store, name, password)
    if user is None:
        ctx.throttle.failed(name, ctx.now())
        audit.record(ctx.store, name or "-", Action.LOGIN_FAILED)
        error = "用户名或密码错误。"
        return render_template("login.html", next=target, error=error), 401
    ctx.throttle.succeeded(name)
    start_session(user.name)
    audit.record(ctx.store, user.name, Action.LOGIN)
    return redirect(target)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the login."""
    audit.record(context().store, current_user().name, Action.LOGOUT)
    session.clear()
    flash("您已退出登录。", "info")
    return redirect(url_for("review.login"))


@bp.get("/")
def queue() -> ResponseReturnValue:
    """The queue, highest priority first, with each item's state."""
    ctx = context()
    user = current_user()
    items = ctx.queue.items(user.name)
    states = [item.state(user.name) for item in items]
    counts = {state: states.count(state) for state in ItemState}
    return render_template(
        "queue.html",
        items=list(zip(items, states, strict=True))[:QUEUE_SHOWN],
        total=len(items),
        shown=min(len(items), QUEUE_SHOWN),
        counts=counts,
        mine=count_by(ctx.store, user.name),
        blind=blind_mode(),
        skipped=len(session.get("skipped", [])),
    )


@bp.get("/next")
def next_item() -> ResponseReturnValue:
    """Lease the reviewer's next item and open it."""
    skipped = list(session.get("skipped", []))
    taken = context().leases.acquire_next(current_user().name, skip=skipped)
    if taken is None:
        flash("队列中暂无可审核的条目。", "info")
        return redirect(url_for("review.queue"))
    item, _ = taken
    return redirect(url_for("review.item", item_id=item.item_id))


@bp.get("/item/<item_id>")
def item(item_id: str) -> ResponseReturnValue:
    """One item: lease it (or renew the lease) and show the pair side by side."""
    ctx = context()
    user = current_user()
    try:
        queued, lease = ctx.leases.acquire(item_id, user.name)
    except ItemUnavailable as error:
        return _unavailable(error)
    audit.record(ctx.store, user.name, Action.OPEN, item_id=item_id, pair=queued.pair)
    view = ctx.viewer.view(
        queued.pair,
        revealed=lease.revealed,
        person_ids=(queued.left_person_id, queued.right_person_id),
        unique_ids=(queued.unique_id_l, queued.unique_id_r),
    )
    return render_template(
        "item.html",
        item=queued,
        view=view,
        lease_seconds=lease.seconds_left(ctx.now()),
        lease_expires=epoch(lease.expires_at),
        blind=blind_mode(),
    )


@bp.post("/item/<item_id>/reveal")
def reveal(item_id: str) -> ResponseReturnValue:
    """Show the item's ID numbers in full; the reveal is audited."""
    ctx = context()
    user = current_user()
    try:
        queued, _ = ctx.leases.mark_revealed(item_id, user.name)
    except ItemUnavailable as error:
        return _unavailable(error)
    audit.record(
        ctx.store,
        user.name,
        Action.REVEAL,
        item_id=item_id,
        pair=queued.pair,
        detail="id_numbers",
    )
    return redirect(url_for("review.item", item_id=item_id))


@bp.post("/item/<item_id>/decide")
def decide(item_id: str) -> ResponseReturnValue:
    """Record the decision and go on to the next item."""
    ctx = context()
    user = current_user()
    try:
        decision = parse_decision(request.form.get("decision"))
    except ReviewError:
        return _error(400, "请选择一个判定：同一人、不是同一人或不确定。")
    try:
        record_decision(
            ctx.store,
            ctx.leases,
            item_id,
            user.name,
            decision,
            request.form.get("note"),
        )
    except ItemUnavailable as error:
        return _unavailable(error)
    flash(f"已记录 {item_id}：{DECISION_TEXTS[decision.value]}", "success")
    return redirect(url_for("review.next_item"))


@bp.post("/item/<item_id>/release")
def release(item_id: str) -> ResponseReturnValue:
    """Give the item back to the queue and skip it for this session."""
    ctx = context()
    user = current_user()
    if ctx.leases.release(item_id, user.name):
        audit.record(ctx.store, user.name, Action.RELEASE, item_id=item_id)
    skipped = [i for i in session.get("skipped", []) if i != item_id]
    session["skipped"] = [*skipped, item_id][-MAX_SKIPPED:]
    flash(f"已跳过 {item_id}。", "info")
    return redirect(url_for("review.next_item"))


@bp.post("/prefs/blind")
def toggle_blind() -> ResponseReturnValue:
    """Turn blind mode on or off for this session."""
    session["blind"] = request.form.get("blind") == "1"
    return redirect(safe_next(request.form.get("next"), url_for("review.queue")))


def _unavailable(error: ItemUnavailable) -> ResponseReturnValue:
    status, message = _UNAVAILABLE.get(error.state, (409, "该条目当前不可审核。"))
    return _error(status, message)


def _error(status: int, message: str) -> ResponseReturnValue:
    return render_template("message.html", message=message, status=status), status
