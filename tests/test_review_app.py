"""The review web app: access rules, CSRF, sessions, leases, decisions and audit."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from linkage.errors import ReviewError
from linkage.review import ReviewConfig, ReviewStore, create_app
from linkage.review.agreement import cohen_kappa, percent_agreement
from linkage.review.auth import hash_password, save_user, verify_password
from linkage.review.commands import add_user, export_labels, read_password, serve
from linkage.review.compare import mask_id
from linkage.review.context import EXTENSION
from linkage.store import Store

PASSWORD = "correct-horse"
START = dt.datetime(2026, 11, 2, 1, 0, 0)

# source, record_id, name, id_number, sex, birth_date, phone
RECORDS = [
    ("hukou", "H1", "王芳", "110105199001010028", "女", "1990-01-01", "13800000001"),
    ("pension", "P1", "王芳", "110105199001010028", "女", "1990-01-01", None),
    ("hukou", "H2", "李伟", "110105198502020011", "男", "1985-02-02", None),
    ("medical", "M2", "李炜", None, "男", "1985-02-02", "13900000002"),
    ("hukou", "H3", "张敏", "110105197003030045", "女", "1970-03-03", None),
    ("medical", "M3", "张敏", "110105197003030061", "女", "1970-03-03", None),
    ("hukou", "H4", "赵强", "110105200004040013", "男", "2000-04-04", None),
    ("pension", "P4", "赵强", None, "男", "2000-04-05", None),
]

# item_id, priority, reason, probability, left unique id, right unique id
QUEUE = [
    ("R0000001", 100, "conflicting_ids", 0.97, 5, 6),
    ("R0000002", 90, "uncertain_pair", 0.55, 3, 4),
    ("R0000003", 60, "uncertain_pair", 0.80, 1, 2),
    ("R0000004", 40, "uncertain_pair", 0.90, 7, 8),
]


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def build_store(path: Path) -> Path:
    """A small store with the tables a run writes, and four queue items."""
    with Store(path) as store:
        con = store.con
        con.execute(
            "INSERT INTO yd_files VALUES "
            "('hukou', 'household_registration', 'h.csv', '', 'utf-8', 4, 4, 0, 1, "
            "now(), 0, 'resident'), "
            "('pension', 'pension_enrollment', 'p.csv', '', 'utf-8', 2, 2, 0, 2, "
            "now(), 0, 'resident'), "
            "('medical', 'medical_enrollment', 'm.csv', '', 'utf-8', 2, 2, 0, 3, "
            "now(), 0, 'resident')"
        )
        for row_number, record in enumerate(RECORDS, start=1):
            con.execute(
                "INSERT INTO yd_records (source, record_id, row_number, name, "
                "id_number, sex, birth_date, phone) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [record[0], record[1], row_number, *record[2:]],
            )
        con.execute(
            """
            CREATE TABLE yd_link_input AS
            SELECT row_number AS unique_id, source, record_id,
                name AS name_clean, id_number AS id_key, id_number AS id_cleaned,
                CASE WHEN id_number IS NULL THEN 'missing' ELSE 'valid' END
                    AS id_class,
                CAST(birth_date AS DATE) AS birth_date,
                CASE sex WHEN '男' THEN 'M' ELSE 'F' END AS sex,
                phone AS phone_key, '110105' AS region_code
            FROM yd_records
            """
        )
        con.execute(
            "CREATE TABLE yd_pairs (unique_id_l BIGINT, unique_id_r BIGINT, "
            "match_weight DOUBLE, match_probability DOUBLE, evidence VARCHAR, "
            "gamma_id_number INTEGER, gamma_name INTEGER, gamma_birth_date INTEGER)"
        )
        for _, _, _, probability, left, right in QUEUE:
            con.execute(
                "INSERT INTO yd_pairs VALUES (?, ?, 3.2, ?, 'model', 1, 5, 3)",
                [left, right, probability],
            )
        con.execute(
            "CREATE TABLE yd_clusters AS SELECT unique_id, source, record_id, "
            "'P' || unique_id AS person_id, 1 AS cluster_size, "
            "1.0 AS match_probability FROM yd_link_input"
        )
        con.execute(
            """
            CREATE TABLE yd_review_queue (
                item_id VARCHAR, priority INTEGER, reason VARCHAR,
                match_probability DOUBLE, left_source VARCHAR,
                left_record_id VARCHAR, left_person_id VARCHAR,
                right_source VARCHAR, right_record_id VARCHAR,
                right_person_id VARCHAR, unique_id_l BIGINT, unique_id_r BIGINT
            )
            """
        )
        for item_id, priority, reason, probability, left, right in QUEUE:
            con.execute(
                """
                INSERT INTO yd_review_queue
                SELECT ?, ?, ?, ?, l.source, l.record_id, 'P' || l.unique_id,
                    r.source, r.record_id, 'P' || r.unique_id, l.unique_id,
                    r.unique_id
                FROM yd_link_input AS l, yd_link_input AS r
                WHERE l.unique_id = ? AND r.unique_id = ?
                """,
                [item_id, priority, reason, probability, left, right],
            )
    return path


@pytest.fixture(scope="module")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store with accounts, copied for each test (hashing is slow on purpose)."""
    path = build_store(tmp_path_factory.mktemp("template") / "store.duckdb")
    with ReviewStore(path) as store:
        for name, role in [
            ("alice", "reviewer"),
            ("bob", "reviewer"),
            ("carol", "reviewer"),
            ("boss", "supervisor"),
        ]:
            save_user(store, name, role, PASSWORD)
    return path


@pytest.fixture
def store_path(template_store: Path, tmp_path: Path) -> Path:
    path = tmp_path / "store.duckdb"
    shutil.copy(template_store, path)
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config() -> ReviewConfig:
    return ReviewConfig(secret_key="test-secret")


@pytest.fixture
def store(store_path: Path, clock: FakeClock) -> Iterator[ReviewStore]:
    opened = ReviewStore(store_path, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def app(store: ReviewStore, config: ReviewConfig) -> Flask:
    return create_app(store, config)


def csrf(client: FlaskClient) -> str:
    """The CSRF token of the client's session, made by a GET if need be."""
    with client.session_transaction() as session:
        token = session.get("csrf_token")
    if token is None:
        client.get("/login")
        with client.session_transaction() as session:
            token = session["csrf_token"]
    return str(token)


def login(app: Flask, name: str, password: str = PASSWORD) -> FlaskClient:
    """A client logged in as ``name``."""
    client = app.test_client()
    response = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": csrf(client)},
    )
    assert response.status_code == 302, response.text
    return client


def post(client: FlaskClient, url: str, **data: str) -> TestResponse:
    return client.post(url, data={"csrf_token": csrf(client), **data})


def next_item(client: FlaskClient) -> str | None:
    """Lease the next item; its id, or None when the queue has nothing left."""
    response = client.get("/next")
    match = re.search(r"/item/(R\d+)$", response.headers["Location"])
    return match.group(1) if match else None


def decisions(store: ReviewStore) -> list[tuple[str, str, str, str]]:
    return [
        (str(a), str(b), str(c), str(d))
        for a, b, c, d in store.rows(
            "SELECT left_record_id, right_record_id, decision, reviewer "
            "FROM yd_review_decisions ORDER BY decided_at"
        )
    ]


def audit_actions(store: ReviewStore, actor: str) -> list[tuple[str, str | None]]:
    return [
        (str(action), item)
        for action, item in store.rows(
            "SELECT action, item_id FROM yd_review_audit WHERE actor = ? "
            "ORDER BY logged_at, rowid",
            [actor],
        )
    ]


REVIEWER_GETS = ["/", "/next", "/item/R0000001"]
SUPERVISOR_GETS = [
    "/supervisor/",
    "/supervisor/decisions",
    "/supervisor/disputes",
    "/supervisor/agreement",
    "/supervisor/users",
    "/supervisor/audit",
    "/supervisor/labels.csv",
    "/supervisor/pair/0123456789abcdef0123456789abcdef",
]
POSTS = [
    "/logout",
    "/item/R0000001/reveal",
    "/item/R0000001/decide",
    "/item/R0000001/release",
    "/prefs/blind",
    "/supervisor/users",
    "/supervisor/users/alice/blind",
    "/supervisor/users/alice/active",
    "/supervisor/pair/0123456789abcdef0123456789abcdef/reveal",
    "/supervisor/pair/0123456789abcdef0123456789abcdef/adjudicate",
]


# Access rules


@pytest.mark.parametrize("url", REVIEWER_GETS + SUPERVISOR_GETS + ["/nowhere"])
def test_anonymous_pages_redirect_to_login(app: Flask, url: str) -> None:
    response = app.test_client().get(url)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("url", POSTS)
def test_anonymous_posts_are_refused(app: Flask, url: str) -> None:
    client = app.test_client()

    response = client.post(url, data={"csrf_token": csrf(client)})

    assert response.status_code == 401


def test_login_page_and_static_files_are_public(app: Flask) -> None:
    client = app.test_client()

    assert client.get("/login").status_code == 200
    for name in ("review.css", "review.js"):
        with client.get(f"/static/{name}") as response:
            assert response.status_code == 200


@pytest.mark.parametrize("url", SUPERVISOR_GETS)
def test_reviewer_is_refused_supervisor_pages(app: Flask, url: str) -> None:
    client = login(app, "alice")

    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", [u for u in POSTS if u.startswith("/supervisor")])
def test_reviewer_is_refused_supervisor_actions(app: Flask, url: str) -> None:
    client = login(app, "alice")

    assert post(client, url, name="mallory", role="supervisor").status_code == 403


@pytest.mark.parametrize("url", REVIEWER_GETS)
def test_reviewer_reaches_the_work_pages(app: Flask, url: str) -> None:
    client = login(app, "alice")

    assert client.get(url, follow_redirects=True).status_code == 200


@pytest.mark.parametrize("url", SUPERVISOR_GETS[:-1])
def test_supervisor_reaches_every_supervisor_page(app: Flask, url: str) -> None:
    client = login(app, "boss")

    assert client.get(url).status_code == 200


def test_unknown_pair_is_not_found_for_a_supervisor(app: Flask) -> None:
    client = login(app, "boss")

    assert client.get(SUPERVISOR_GETS[-1]).status_code == 404


def test_login_redirects_to_the_page_asked_for_but_never_off_site(app: Flask) -> None:
    client = app.test_client()
    token = csrf(client)
    data = {"name": "alice", "password": PASSWORD, "csrf_token": token}

    inside = client.post("/login", data={**data, "next": "/item/R0000002"})
    client = app.test_client()
    data["csrf_token"] = csrf(client)
    outside = client.post("/login", data={**data, "next": "//evil.example/x"})

    assert inside.headers["Location"] == "/item/R0000002"
    assert outside.headers["Location"] == "/"


def test_wrong_password_fails_and_is_audited(app: Flask, store: ReviewStore) -> None:
    client = app.test_client()

    response = client.post(
        "/login",
        data={"name": "alice", "password": "wrong-one", "csrf_token": csrf(client)},
    )

    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert audit_actions(store, "alice") == [("login_failed", None)]
    assert client.get("/").status_code == 302


def test_logins_are_refused_after_repeated_failures(app: Flask) -> None:
    client = app.test_client()
    for _ in range(5):
        client.post(
            "/login",
            data={"name": "bob", "password": "nope-nope", "csrf_token": csrf(client)},
        )

    response = client.post(
        "/login",
        data={"name": "bob", "password": PASSWORD, "csrf_token": csrf(client)},
    )

    assert response.status_code == 429


def test_disabled_account_loses_its_session(app: Flask, store: ReviewStore) -> None:
    client = login(app, "alice")
    boss = login(app, "boss")

    post(boss, "/supervisor/users/alice/active", active="0")

    assert client.get("/").status_code == 302
    again = app.test_client()
    response = again.post(
        "/login",
        data={"name": "alice", "password": PASSWORD, "csrf_token": csrf(again)},
    )
    assert response.status_code == 401


def test_logout_ends_the_session(app: Flask) -> None:
    client = login(app, "alice")

    assert post(client, "/logout").status_code == 302
    assert client.get("/").status_code == 302


# CSRF and headers


def test_post_without_csrf_token_is_refused(app: Flask, store: ReviewStore) -> None:
    client = login(app, "alice")
    item = next_item(client)

    response = client.post(f"/item/{item}/decide", data={"decision": "match"})

    assert response.status_code == 400
    assert decisions(store) == []


def test_post_with_wrong_csrf_token_is_refused(app: Flask, store: ReviewStore) -> None:
    client = login(app, "alice")
    item = next_item(client)

    response = client.post(
        f"/item/{item}/decide", data={"decision": "match", "csrf_token": "forged"}
    )

    assert response.status_code == 400
    assert decisions(store) == []


def test_login_form_needs_a_csrf_token(app: Flask) -> None:
    response = app.test_client().post(
        "/login", data={"name": "alice", "password": PASSWORD}
    )

    assert response.status_code == 400


def test_post_from_another_origin_is_refused(app: Flask) -> None:
    client = login(app, "alice")
    item = next_item(client)

    response = client.post(
        f"/item/{item}/decide",
        data={"decision": "match", "csrf_token": csrf(client)},
        headers={"Origin": "http://evil.example"},
    )

    assert response.status_code == 403


def test_csrf_token_changes_at_login(app: Flask) -> None:
    client = app.test_client()
    before = csrf(client)

    client.post(
        "/login", data={"name": "alice", "password": PASSWORD, "csrf_token": before}
    )

    assert csrf(client) != before


def test_pages_carry_security_headers(app: Flask) -> None:
    client = login(app, "alice")

    response = client.get("/")

    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_pages_load_nothing_from_elsewhere(app: Flask) -> None:
    client = login(app, "alice")
    item = next_item(client)

    page = client.get(f"/item/{item}").text

    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    assert "<script>" not in page
    assert " style=" not in page


# Sessions


def test_session_ends_after_idle_time(app: Flask, clock: FakeClock) -> None:
    client = login(app, "alice")
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200

    clock.advance(minutes=31)

    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_session_ends_after_eight_hours_however_active(
    app: Flask, clock: FakeClock
) -> None:
    client = login(app, "alice")
    for _ in range(17):
        clock.advance(minutes=28)
        assert client.get("/").status_code == 200

    clock.advance(minutes=28)

    assert client.get("/").status_code == 302


def test_expired_session_cannot_post(app: Flask, clock: FakeClock) -> None:
    client = login(app, "alice")
    item = next_item(client)
    token = csrf(client)
    clock.advance(hours=1)

    response = client.post(
        f"/item/{item}/decide", data={"decision": "match", "csrf_token": token}
    )

    assert response.status_code == 401


# Leases


def test_queue_is_served_by_priority(app: Flask) -> None:
    client = login(app, "alice")

    assert next_item(client) == "R0000001"


def test_reopening_keeps_the_same_item(app: Flask) -> None:
    client = login(app, "alice")

    assert next_item(client) == next_item(client) == "R0000001"


def test_two_reviewers_never_get_the_same_item(app: Flask) -> None:
    alice, bob = login(app, "alice"), login(app, "bob")

    first, second = next_item(alice), next_item(bob)

    assert first == "R0000001"
    assert second == "R0000002"
    assert bob.get(f"/item/{first}").status_code == 409


def test_expired_lease_is_re_leased(app: Flask, clock: FakeClock) -> None:
    alice, bob = login(app, "alice"), login(app, "bob")
    assert next_item(alice) == "R0000001"

    clock.advance(minutes=11)
    # alice stays logged in through other pages, but her lease has run out
    assert next_item(bob) == "R0000001"

    token = csrf(alice)
    late = alice.post(
        "/item/R0000001/decide", data={"decision": "match", "csrf_token": token}
    )
    assert late.status_code == 409


def test_leases_are_exclusive_under_concurrent_requests(
    store: ReviewStore, config: ReviewConfig
) -> None:
    app = create_app(store, config)
    leases = app.extensions[EXTENSION].leases
    taken: dict[str, str] = {}
    barrier = threading.Barrier(4)

    def take(name: str) -> None:
        barrier.wait()
        got = leases.acquire_next(name)
        taken[name] = got[0].item_id if got else "-"

    threads = [
        threading.Thread(target=take, args=(name,)) for name in ("a", "b", "c", "d")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(taken.values()) == ["R0000001", "R0000002", "R0000003", "R0000004"]


def test_a_reviewer_holds_one_item_at_a_time(app: Flask) -> None:
    alice, bob = login(app, "alice"), login(app, "bob")
    assert next_item(alice) == "R0000001"

    assert alice.get("/item/R0000003").status_code == 200

    assert next_item(bob) == "R0000001"


def test_skipped_item_goes_to_the_next_one(app: Flask, store: ReviewStore) -> None:
    client = login(app, "alice")
    item = next_item(client)

    response = post(client, f"/item/{item}/release")

    assert response.headers["Location"] == "/next"
    assert next_item(client) == "R0000002"
    assert ("release", "R0000001") in audit_actions(store, "alice")


def test_empty_queue_says_so(app: Flask) -> None:
    client = login(app, "alice")
    for _ in QUEUE:
        item = next_item(client)
        post(client, f"/item/{item}/decide", decision="unsure")

    response = client.get("/next", follow_redirects=True)

    assert "暂无可审核的条目" in response.text


# Decisions and audit


def test_decision_is_written_with_reviewer_and_time(
    app: Flask, store: ReviewStore, clock: FakeClock
) -> None:
    client = login(app, "alice")
    item = next_item(client)

    response = post(client, f"/item/{item}/decide", decision="not_match", note="两人")

    assert response.status_code == 302
    row = store.row(
        "SELECT left_source, left_record_id, right_source, right_record_id, "
        "decision, reviewer, note, decided_at FROM yd_review_decisions"
    )
    assert row == (
        "hukou",
        "H3",
        "medical",
        "M3",
        "not_match",
        "alice",
        "两人",
        clock.now,
    )


def test_decision_survives_a_server_stop(
    app: Flask, store: ReviewStore, store_path: Path
) -> None:
    client = login(app, "alice")
    item = next_item(client)
    post(client, f"/item/{item}/decide", decision="match")

    store.close()

    with Store(store_path, read_only=True) as reopened:
        assert reopened.rows("SELECT decision, reviewer FROM yd_review_decisions") == [
            ("match", "alice")
        ]


def test_decided_item_is_not_offered_again(app: Flask, store: ReviewStore) -> None:
    alice, bob = login(app, "alice"), login(app, "bob")
    item = next_item(alice)
    post(alice, f"/item/{item}/decide", decision="match")

    assert next_item(bob) == "R0000002"
    assert alice.get(f"/item/{item}").status_code == 409
    again = post(alice, f"/item/{item}/decide", decision="not_match")
    assert again.status_code == 409
    assert len(decisions(store)) == 1


def test_unknown_decision_is_refused(app: Flask, store: ReviewStore) -> None:
    client = login(app, "alice")
    item = next_item(client)

    assert post(client, f"/item/{item}/decide", decision="maybe").status_code == 400
    assert decisions(store) == []


def test_unknown_item_is_not_found(app: Flask) -> None:
    client = login(app, "alice")

    assert client.get("/item/R9999999").status_code == 404


def test_opening_an_item_is_audited(app: Flask, store: ReviewStore) -> None:
    client = login(app, "alice")
    item = next_item(client)

    client.get(f"/item/{item}")
    post(client, f"/item/{item}/decide", decision="match")

    assert audit_actions(store, "alice") == [
        ("login", None),
        ("open", "R0000001"),
        ("decide", "R0000001"),
    ]


def test_id_numbers_are_masked_until_revealed(app: Flask, store: ReviewStore) -> None:
    client = login(app, "alice")
    item = next_item(client)

    masked = client.get(f"/item/{item}").text
    revealed = post(client, f"/item/{item}/reveal")
    shown = client.get(f"/item/{item}").text

    assert "110105********0045" in masked
    assert "110105197003030045" not in masked
    assert revealed.status_code == 302
    assert "110105197003030045" in shown
    assert "110105197003030061" in shown
    assert ("reveal", "R0000001") in audit_actions(store, "alice")


def test_reveal_does_not_carry_over_to_the_next_reviewer(
    app: Flask, clock: FakeClock
) -> None:
    alice, bob = login(app, "alice"), login(app, "bob")
    item = next_item(alice)
    post(alice, f"/item/{item}/reveal")
    clock.advance(minutes=11)

    assert next_item(bob) == item
    assert "110105197003030045" not in bob.get(f"/item/{item}").text


def test_item_page_shows_fields_levels_and_probability(app: Flask) -> None:
    client = login(app, "alice")
    next_item(client)

    page = client.get("/item/R0000001").text

    assert "张敏" in page
    assert "hukou · 户籍登记" in page
    assert "medical · 医疗保险参保" in page
    assert "不一致" in page  # the two ID numbers differ
    assert "97.00%" in page
    # stored gamma 1 of the ID ladder (top 5) is "both valid, different"
    assert "两个号码均有效但不同" in page
    # stored gamma 5 of the name ladder (top 6) is the second level, homophones
    assert "拼音相同（同音字）" in page


def test_blind_mode_hides_the_probability(app: Flask, store: ReviewStore) -> None:
    client = login(app, "alice")
    next_item(client)
    post(client, "/prefs/blind", blind="1", next="/item/R0000001")

    page = client.get("/item/R0000001").text

    assert "97.00%" not in page
    assert "盲审模式" in page


def test_supervisor_can_make_a_user_blind(app: Flask) -> None:
    boss = login(app, "boss")
    post(boss, "/supervisor/users/alice/blind", blind="1")
    client = login(app, "alice")
    next_item(client)

    page = client.get("/item/R0000001").text

    assert "97.00%" not in page
    assert "由主管设定" in page


def test_keyboard_shortcut_script_is_on_the_item_page(app: Flask) -> None:
    client = login(app, "alice")
    next_item(client)

    page = client.get("/item/R0000001").text
    with client.get("/static/review.js") as response:
        script = response.text

    assert 'src="/static/review.js"' in page
    assert 'id="decision-form"' in page
    assert '"1": "match"' in script
    assert '"2": "not_match"' in script
    assert '"3": "unsure"' in script


# Double review, disputes and agreement


@pytest.fixture
def double_app(store: ReviewStore) -> Flask:
    return create_app(
        store, ReviewConfig(secret_key="test-secret", double_review_share=1.0)
    )


def test_double_review_item_goes_to_a_second_reviewer(
    double_app: Flask, store: ReviewStore
) -> None:
    alice, bob, carol = (login(double_app, n) for n in ("alice", "bob", "carol"))
    item = next_item(alice)
    post(alice, f"/item/{item}/decide", decision="match")

    assert next_item(alice) == "R0000002"
    assert next_item(bob) == item
    post(bob, f"/item/{item}/decide", decision="match")
    assert next_item(carol) == "R0000003"


def test_disagreement_is_listed_and_adjudicated(
    double_app: Flask, store: ReviewStore
) -> None:
    alice, bob, boss = (login(double_app, n) for n in ("alice", "bob", "boss"))
    item = next_item(alice)
    post(alice, f"/item/{item}/decide", decision="match")
    assert next_item(bob) == item
    post(bob, f"/item/{item}/decide", decision="not_match")

    disputes = boss.get("/supervisor/disputes").text
    token = re.search(r"/supervisor/pair/([0-9a-f]{32})", disputes)
    assert token is not None
    pair_page = boss.get(f"/supervisor/pair/{token.group(1)}")
    ruling = post(
        boss, f"/supervisor/pair/{token.group(1)}/adjudicate", decision="not_match"
    )

    assert pair_page.status_code == 200
    assert ruling.status_code == 302
    assert decisions(store)[-1] == ("H3", "M3", "not_match", "boss")
    assert "没有待裁定的分歧" in boss.get("/supervisor/disputes").text
    assert ("adjudicate", None) in audit_actions(store, "boss")


def test_agreement_page_shows_percent_and_kappa(double_app: Flask) -> None:
    alice, bob, boss = (login(double_app, n) for n in ("alice", "bob", "boss"))
    plan = [("match", "match"), ("not_match", "not_match"), ("match", "not_match")]
    for first, second in plan:
        item = next_item(alice)
        post(alice, f"/item/{item}/decide", decision=first)
        assert next_item(bob) == item
        post(bob, f"/item/{item}/decide", decision=second)

    page = boss.get("/supervisor/agreement").text

    assert "66.7%" in page
    assert "0.400" in page  # p_o 2/3, p_e 4/9: (2/3 - 4/9) / (5/9)


def test_reviewer_cannot_see_others_decisions(app: Flask) -> None:
    alice, bob = login(app, "alice"), login(app, "bob")
    item = next_item(alice)
    post(alice, f"/item/{item}/decide", decision="match", note="secret-note")

    page = bob.get("/").text

    assert "secret-note" not in page
    assert "alice" not in page


def test_supervisor_sees_everyone_s_decisions(app: Flask) -> None:
    alice, boss = login(app, "alice"), login(app, "boss")
    item = next_item(alice)
    post(alice, f"/item/{item}/decide", decision="match", note="looked twice")

    page = boss.get("/supervisor/decisions").text

    assert "alice" in page
    assert "looked twice" in page
    assert "同一人" in page


def test_supervisor_adds_a_reviewer_in_the_app(app: Flask, store: ReviewStore) -> None:
    boss = login(app, "boss")

    response = post(
        boss, "/supervisor/users", name="dave", role="reviewer", password="longenough"
    )

    assert response.status_code == 302
    login(app, "dave", "longenough")


def test_short_password_is_refused_in_the_app(app: Flask) -> None:
    boss = login(app, "boss")

    post(boss, "/supervisor/users", name="erin", role="reviewer", password="short")

    assert "未能保存用户" in boss.get("/supervisor/users").text


# Agreement figures


def test_kappa_of_perfect_agreement_is_one() -> None:
    observations = [("match", "match"), ("not_match", "not_match")]

    assert cohen_kappa(observations) == pytest.approx(1.0)
    assert percent_agreement(observations) == 1.0


def test_kappa_of_chance_agreement_is_zero() -> None:
    observations = [
        ("match", "match"),
        ("match", "not_match"),
        ("not_match", "match"),
        ("not_match", "not_match"),
    ]

    assert cohen_kappa(observations) == pytest.approx(0.0)


def test_kappa_is_undefined_when_everyone_always_says_the_same() -> None:
    assert cohen_kappa([("match", "match")] * 3) is None
    assert cohen_kappa([]) is None


# Passwords, accounts and commands


def test_password_hash_is_salted_and_verifies() -> None:
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")

    assert first != second
    assert first.startswith("scrypt$")
    assert verify_password("s3cret-pass", first)
    assert not verify_password("s3cret-pasS", first)
    assert not verify_password("s3cret-pass", "garbage")


def test_add_user_creates_then_resets(store_path: Path) -> None:
    assert add_user(store_path, "frank", "reviewer", "first-password") is True
    assert add_user(store_path, "frank", "supervisor", "second-password") is False

    with ReviewStore(store_path) as store:
        row = store.row(
            "SELECT role, password_hash FROM yd_review_users WHERE name = 'frank'"
        )
    assert row is not None
    assert row[0] == "supervisor"
    assert verify_password("second-password", str(row[1]))
    assert "second-password" not in str(row[1])


@pytest.mark.parametrize(
    ("name", "role", "password"),
    [
        ("with space", "reviewer", "longenough"),
        ("x", "admin", "longenough"),
        ("x", "reviewer", "short"),
    ],
)
def test_add_user_refuses_bad_accounts(
    store_path: Path, name: str, role: str, password: str
) -> None:
    with pytest.raises(ReviewError):
        add_user(store_path, name, role, password)


def test_password_is_read_from_stdin() -> None:
    import io

    assert read_password(from_stdin=True, stdin=io.StringIO("pa ss word\n")) == (
        "pa ss word"
    )
    with pytest.raises(ReviewError):
        read_password(from_stdin=True, stdin=io.StringIO(""))


def test_serve_refuses_a_store_without_a_supervisor(tmp_path: Path) -> None:
    path = build_store(tmp_path / "bare.duckdb")

    with pytest.raises(ReviewError, match="no supervisor"):
        serve(path, "127.0.0.1", 0)


def test_app_refuses_a_store_without_a_queue(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.duckdb"):
        pass

    with (
        ReviewStore(tmp_path / "empty.duckdb") as store,
        pytest.raises(ReviewError, match="yd_review_queue"),
    ):
        create_app(store)


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReviewError, match="store not found"):
        ReviewStore(tmp_path / "nope.duckdb")


def test_mask_id_keeps_region_and_last_four() -> None:
    assert mask_id("11010519900101002X") == "110105********002X"
    assert mask_id("110105900101002") == "110105*****1002"
    assert mask_id("12345") == "***45"
    assert mask_id(None) is None


# Labels


def _decide_all(app: Flask, plan: dict[str, str]) -> None:
    client = login(app, "alice")
    while (item := next_item(client)) is not None:
        post(client, f"/item/{item}/decide", decision=plan[item])


def test_export_labels_joins_matches_and_keeps_singletons(
    app: Flask, store: ReviewStore, store_path: Path, tmp_path: Path
) -> None:
    _decide_all(
        app,
        {
            "R0000001": "not_match",
            "R0000002": "match",
            "R0000003": "match",
            "R0000004": "unsure",
        },
    )
    store.close()
    out = tmp_path / "labels.csv"

    written = export_labels(store_path, out)

    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    keys = {(r["source"], r["record_id"]): r["person_key"] for r in rows}
    assert written == 6
    assert keys[("hukou", "H2")] == keys[("medical", "M2")]
    assert keys[("hukou", "H1")] == keys[("pension", "P1")]
    assert keys[("hukou", "H3")] != keys[("medical", "M3")]
    assert len(set(keys.values())) == 4
    assert ("hukou", "H4") not in keys  # only in an "unsure" pair


def test_exported_labels_are_a_valid_truth_file(
    app: Flask, store: ReviewStore, store_path: Path, tmp_path: Path
) -> None:
    from evaluation.metrics import read_assignment

    _decide_all(app, dict.fromkeys((q[0] for q in QUEUE), "match"))
    store.close()
    out = tmp_path / "labels.csv"
    export_labels(store_path, out)

    truth = read_assignment(out, "person_key")

    assert len(truth) == 8
    assert len(set(truth.values())) == 4


def test_latest_decision_wins_in_the_labels(
    double_app: Flask,
    store: ReviewStore,
    store_path: Path,
    tmp_path: Path,
    clock: FakeClock,
) -> None:
    alice, bob = login(double_app, "alice"), login(double_app, "bob")
    item = next_item(alice)
    post(alice, f"/item/{item}/decide", decision="not_match")
    clock.advance(minutes=1)
    next_item(bob)
    post(bob, f"/item/{item}/decide", decision="match")
    store.close()
    out = tmp_path / "labels.csv"

    export_labels(store_path, out)

    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert len({r["person_key"] for r in rows}) == 1


def test_supervisor_downloads_the_labels(app: Flask) -> None:
    _decide_all(app, dict.fromkeys((q[0] for q in QUEUE), "match"))
    boss = login(app, "boss")

    response = boss.get("/supervisor/labels.csv")

    assert response.mimetype == "text/csv"
    assert response.text.splitlines()[0] == "source,record_id,person_key"
    assert len(response.text.splitlines()) == 9


# A real run


def test_decision_made_in_the_app_is_honoured_by_the_next_run(tmp_path: Path) -> None:
    from evaluation.synth import generate
    from linkage.pipeline import run_project

    project = generate(tmp_path / "run", persons=300, seed=3).project_path
    text = project.read_text(encoding="utf-8")
    # A match threshold this high leaves plenty of pairs for review.
    project.write_text(
        re.sub(r"(?m)^match = .*$", "match = 0.99999", text), encoding="utf-8"
    )
    first = run_project(project)
    assert first.review_items > 0
    store_path = first.project.run.store
    add_user(store_path, "alice", "reviewer", PASSWORD)
    with ReviewStore(store_path) as store:
        client = login(create_app(store, ReviewConfig(secret_key="k")), "alice")
        item = next_item(client)
        page = client.get(f"/item/{item}").text
        post(client, f"/item/{item}/decide", decision="match")
        pair = store.row(
            "SELECT left_source, left_record_id, right_source, right_record_id "
            "FROM yd_review_decisions"
        )
    assert pair is not None
    assert "未计算" not in page  # every comparison level worked out

    run_project(project)

    with Store(store_path, read_only=True) as reopened:
        queued = reopened.scalar(
            "SELECT count(*) FROM yd_review_queue WHERE left_source = ? "
            "AND left_record_id = ? AND right_source = ? AND right_record_id = ?",
            list(pair),
        )
        persons = reopened.scalar(
            "SELECT count(DISTINCT person_id) FROM yd_clusters "
            "WHERE (source = ? AND record_id = ?) OR (source = ? AND record_id = ?)",
            list(pair),
        )
    assert queued == 0
    assert persons == 1


def test_public_surface_is_pinned() -> None:
    import linkage.review

    assert sorted(linkage.review.__all__) == [
        "ReviewConfig",
        "ReviewStore",
        "create_app",
    ]
