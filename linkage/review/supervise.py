"""The supervisor's pages: everyone's decisions, disputes, agreement, users, audit.

Every page here is refused (403) to a user without the supervisor role.
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    abort,
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
from linkage.review.agreement import agreement_report
from linkage.review.audit import Action
from linkage.review.auth import list_users, save_user, set_active, set_blind
from linkage.review.context import context, current_user
from linkage.review.decisions import (
    PairReview,
    adjudicate,
    decision_counts,
    decision_rows,
    disputed_pairs,
    find_pair,
    pair_reviews,
    parse_decision,
)
from linkage.review.labels import labels_csv_text

logger = logging.getLogger(__name__)

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")

ROWS_SHOWN = 500
MAX_REVEALED_PAIRS = 50


@bp.before_request
def require_supervisor() -> None:
    """Refuse every supervisor page to other roles."""
    if not current_user().is_supervisor:
        abort(403)


@bp.get("/")
def overview() -> ResponseReturnValue:
    """Progress per reviewer and the number of open disputes."""
    store = context().store
    return render_template(
        "supervisor.html",
        counts=sorted(decision_counts(store).items()),
        disputes=len(disputed_pairs(store)),
    )


@bp.get("/decisions")
def decisions() -> ResponseReturnValue:
    """Everyone's decisions, newest first, optionally of one reviewer."""
    reviewer = request.args.get("reviewer") or None
    rows = decision_rows(context().store, reviewer=reviewer, limit=ROWS_SHOWN)
    return render_template("decisions.html", rows=rows, reviewer=reviewer)


@bp.get("/disputes")
def disputes() -> ResponseReturnValue:
    """Double-reviewed pairs on which reviewers disagree."""
    return render_template("disputes.html", reviews=disputed_pairs(context().store))


@bp.get("/pair/<token>")
def pair(token: str) -> ResponseReturnValue:
    """A decided pair side by side, with its decisions and the adjudication form."""
    ctx = context()
    review = _review_or_404(token)
    revealed = token in session.get("revealed_pairs", [])
    audit.record(ctx.store, current_user().name, Action.OPEN, pair=review.pair)
    view = ctx.viewer.view(review.pair, revealed=revealed)
    return render_template("pair.html", review=review, view=view)


@bp.post("/pair/<token>/reveal")
def reveal(token: str) -> ResponseReturnValue:
    """Show the pair's ID numbers in full; the reveal is audited."""
    review = _review_or_404(token)
    audit.record(
        context().store,
        current_user().name,
        Action.REVEAL,
        pair=review.pair,
        detail="id_numbers",
    )
    shown = [t for t in session.get("revealed_pairs", []) if t != token]
    session["revealed_pairs"] = [*shown, token][-MAX_REVEALED_PAIRS:]
    return redirect(url_for("supervisor.pair", token=token))


@bp.post("/pair/<token>/adjudicate")
def settle(token: str) -> ResponseReturnValue:
    """Record the supervisor's ruling on a pair."""
    review = _review_or_404(token)
    try:
        decision = parse_decision(request.form.get("decision"))
    except ReviewError:
        abort(400)
    ctx = context()
    adjudicate(
        ctx.store, current_user().name, review.pair, decision, request.form.get("note")
    )
    flash("裁定已记录。", "success")
    return redirect(url_for("supervisor.disputes"))


@bp.get("/agreement")
def agreement() -> ResponseReturnValue:
    """Percent agreement and Cohen's kappa on double-reviewed pairs."""
    store = context().store
    report = agreement_report(pair_reviews(store))
    return render_template(
        "agreement.html",
        report=report,
        share=context().config.double_review_share,
    )


@bp.get("/users")
def users() -> ResponseReturnValue:
    """Accounts, with forms to add one and to change blind mode or access."""
    return render_template("users.html", users=list_users(context().store))


@bp.post("/users")
def save_account() -> ResponseReturnValue:
    """Add an account, or reset one's role and password."""
    ctx = context()
    name = request.form.get("name", "").strip()
    try:
        created = save_user(
            ctx.store,
            name,
            request.form.get("role", ""),
            request.form.get("password", ""),
        )
    except ReviewError as error:
        flash(f"未能保存用户：{error}", "error")
        return redirect(url_for("supervisor.users"))
    detail = f"{'created' if created else 'reset'} {name}"
    audit.record(ctx.store, current_user().name, Action.ACCOUNT, detail=detail)
    flash(f"用户 {name} 已{'添加' if created else '更新'}。", "success")
    return redirect(url_for("supervisor.users"))


@bp.post("/users/<name>/blind")
def user_blind(name: str) -> ResponseReturnValue:
    """Hide or show match probabilities for one user."""
    ctx = context()
    blind = request.form.get("blind") == "1"
    set_blind(ctx.store, name, blind)
    detail = f"blind {'on' if blind else 'off'} for {name}"
    audit.record(ctx.store, current_user().name, Action.ACCOUNT, detail=detail)
    return redirect(url_for("supervisor.users"))


@bp.post("/users/<name>/active")
def user_active(name: str) -> ResponseReturnValue:
    """Enable or disable an account (not one's own)."""
    ctx = context()
    if name == current_user().name:
        flash("不能停用自己的账号。", "error")
        return redirect(url_for("supervisor.users"))
    active = request.form.get("active") == "1"
    set_active(ctx.store, name, active)
    detail = f"{'enabled' if active else 'disabled'} {name}"
    audit.record(ctx.store, current_user().name, Action.ACCOUNT, detail=detail)
    return redirect(url_for("supervisor.users"))


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    """The latest audit entries, optionally of one user."""
    actor = request.args.get("actor") or None
    entries = audit.recent(context().store, limit=ROWS_SHOWN, actor=actor)
    return render_template("audit.html", entries=entries, actor=actor)


@bp.get("/labels.csv")
def labels() -> ResponseReturnValue:
    """The labels file (as ``yidang review export-labels`` writes it), to download."""
    ctx = context()
    text = labels_csv_text(ctx.store.cursor())
    audit.record(ctx.store, current_user().name, Action.EXPORT, detail="labels.csv")
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="labels.csv"'},
    )


def _review_or_404(token: str) -> PairReview:
    review = find_pair(context().store, token)
    if review is None:
        abort(404)
    return review
