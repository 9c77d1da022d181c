"""The operator console over HTTP (Starlette's TestClient): the contract, its security, its actions.

The store is a real one, filled by a real poll (tests/console_site.py) of the sample mails
and of hostile ones: a subject and a display name that are markup, a seed phrase.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpx import Response
from starlette.testclient import TestClient

from inboxd.assets import CORRECTIONS, load_assets, read_examples
from inboxd.compose import load_app, open_store, poll_once
from inboxd.config import ConsoleConfig
from inboxd.console.auth import load_token
from inboxd.console.lifecycle import ModelFiles, model_id
from inboxd.console.web import build
from inboxd.errors import ConfigError
from inboxd.store import DecisionFilter, Store
from inboxd.store.console import BANDS
from testbed.dovecot import Dovecot
from testbed.mx import stamp
from tests.conftest import run_inboxd, write_config
from tests.console_site import HOSTILE, SEED, TOKEN, XSS_ESCAPED, Site, _users
from tests.integration.test_service import Running

pytestmark = pytest.mark.integration
BEARER = {"Authorization": f"Bearer {TOKEN}"}
RAW_MARKUP = ("<script>alert(", "<img src=x onerror", "onerror=alert(3)>")


@pytest.fixture(scope="module")
def store(console_site: Site) -> Iterator[Store]:
    opened = console_site.store()
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(console_site: Site, store: Store) -> Iterator[TestClient]:
    app = load_app(console_site.config_path, with_model=False)
    with TestClient(build(app, store, load_token(app.config)), base_url="http://127.0.0.1:8025") as c:
        yield c


def csrf_of(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def log_in(client: TestClient, name: str = "alice", target: str = "/") -> Response:
    """The login form as a browser posts it (with the form's CSRF token): the answer, a redirect."""
    csrf = csrf_of(client, "/login")
    return client.post(
        "/login", data={"name": name, "token": TOKEN, "csrf": csrf, "next": target}, follow_redirects=False
    )


def login(client: TestClient, name: str = "alice") -> None:
    done = log_in(client, name)
    assert done.status_code == 303, done.text


def xss_row(store: Store) -> dict[str, object]:
    return next(r for r in store.decisions(DecisionFilter(), 500) if "<script>" in (r["subject"] or ""))


# -- the contract ------------------------------------------------------------------------------------


def test_without_credentials_a_page_is_refused(client: TestClient) -> None:
    client.cookies.clear()
    page = client.get("/", follow_redirects=False)
    assert page.status_code in (401, 303)
    if page.status_code == 303:
        assert page.headers["location"].startswith("/login")
    assert client.get("/", headers={"Authorization": "Bearer wrong-token-000000000"}).status_code == 401
    assert client.get("/model/progress").status_code == 401
    for path in ("/decisions/1/correct", "/model/promote", "/acks/1/resolve", "/model/train"):
        assert client.post(path, data={}).status_code == 401


def test_bearer_lists_every_stored_ticket_reference(client: TestClient, store: Store) -> None:
    client.cookies.clear()
    page = client.get("/", headers=BEARER)
    assert page.status_code == 200
    refs = [t.ref for t in store.tickets()]
    assert len(refs) >= 10
    for ref in refs:
        assert ref in page.text
    assert "text/html" in page.headers["content-type"]


def test_security_headers_on_every_response(client: TestClient) -> None:
    for response in (client.get("/login"), client.get("/", headers=BEARER), client.get("/static/console.js")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
    # No inline script anywhere: the one script is a file.
    page = client.get("/", headers=BEARER).text
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/console.js" defer>']


def test_customer_markup_is_text_on_every_page(client: TestClient, store: Store) -> None:
    row = xss_row(store)
    ref = row["ticket_ref"]
    pages = [
        "/",
        f"/decisions/{row['id']}",
        "/tickets",
        f"/tickets/{ref}",
        "/queues",
        "/rules?pattern=deposit&category=deposit_withdrawal",
        "/dashboard",
        "/templates",
        "/audit",
        "/model",
    ]
    seen_escaped = 0
    for path in pages:
        page = client.get(path, headers=BEARER)
        assert page.status_code == 200, path
        for raw in RAW_MARKUP:
            assert raw not in page.text, (path, raw)
        seen_escaped += XSS_ESCAPED in page.text
    assert seen_escaped >= 5  # the subject is shown (as text) on the list, detail, tickets, ticket, rules
    detail = client.get(f"/decisions/{row['id']}", headers=BEARER).text
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in detail  # the body, as the model read it


def test_no_secret_on_any_page(client: TestClient, store: Store) -> None:
    incident = next(r for r in store.decisions(DecisionFilter(security=True), 50))
    assert "sausage" not in (store.decision(int(incident["id"])) or {}).get("model_text", "")
    for path in ("/", f"/decisions/{incident['id']}", f"/tickets/{incident['ticket_ref']}", "/queues", "/audit"):
        page = client.get(path, headers=BEARER).text
        assert SEED not in page and "sausage" not in page
        assert TOKEN not in page
    assert incident["ticket_ref"] in client.get("/queues", headers=BEARER).text  # listed as an incident


# -- login, sessions, CSRF ---------------------------------------------------------------------------


def test_login_wrong_token_refused_and_audited(client: TestClient, store: Store) -> None:
    client.cookies.clear()
    csrf = csrf_of(client, "/login")
    started = time.monotonic()
    page = client.post("/login", data={"name": "eve", "token": "not-the-token-00000", "csrf": csrf})
    assert page.status_code == 401
    assert time.monotonic() - started >= 0.9  # slowed down
    assert client.get("/", follow_redirects=False).status_code == 303
    assert any(e["who"] == "eve" and e["action"] == "login refused" for e in store.audit_log())


def test_login_needs_the_forms_csrf_token(client: TestClient) -> None:
    client.cookies.clear()
    client.get("/login")
    page = client.post("/login", data={"name": "eve", "token": TOKEN, "csrf": "forged"})
    assert page.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_makes_a_strict_httponly_session(client: TestClient, store: Store) -> None:
    client.cookies.clear()
    done = log_in(client, "alice", "//evil.example/x")
    assert done.status_code == 303 and done.headers["location"] == "/"  # no open redirect
    cookie = done.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert TOKEN not in done.headers["set-cookie"]
    home = client.get("/")
    assert home.status_code == 200 and "alice" in home.text
    assert any(e["who"] == "alice" and e["action"] == "login" for e in store.audit_log())


def test_a_post_without_the_csrf_token_changes_nothing(client: TestClient, store: Store, console_site: Site) -> None:
    login(client)
    row = xss_row(store)
    corrections = console_site.classifiers / "examples" / CORRECTIONS
    before = corrections.read_bytes() if corrections.exists() else b""
    for data in ({"category": "account"}, {"category": "account", "csrf": "forged"}):
        page = client.post(f"/decisions/{row['id']}/correct", data=data, follow_redirects=False)
        assert page.status_code == 403
    unknown = store.acks("unknown")[0]
    assert client.post(f"/acks/{unknown.id}/resolve", data={"resolution": "sent"}).status_code == 403
    assert (corrections.read_bytes() if corrections.exists() else b"") == before
    assert store.ack(unknown.id).state == "unknown"  # type: ignore[union-attr]


# -- actions -----------------------------------------------------------------------------------------


def test_correct_goes_to_corrections_csv_which_train_reads(
    client: TestClient, store: Store, console_site: Site
) -> None:
    login(client, "bob")
    row = xss_row(store)
    fingerprint = load_assets(console_site.classifiers).fingerprint()
    csrf = csrf_of(client, f"/decisions/{row['id']}")
    page = client.post(
        f"/decisions/{row['id']}/correct", data={"category": "complaint_suggestion", "intent": "", "csrf": csrf}
    )
    assert page.status_code == 200 and "Corrected to complaint_suggestion" in page.text
    path = console_site.classifiers / "examples" / CORRECTIONS
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[-1]["category"] == "complaint_suggestion" and rows[-1]["who"] == "bob"
    assert rows[-1]["ticket"] == row["ticket_ref"] and rows[-1]["when"].startswith("20")
    assert "deposited 100 USDT" in rows[-1]["text"]
    assets = load_assets(console_site.classifiers)  # the loader accepts the file like every examples file
    assert any(e.source.startswith(CORRECTIONS) for e in assets.examples())
    assert [e.category for e in read_examples(path, assets.category_names)][-1] == "complaint_suggestion"
    assert assets.fingerprint() == fingerprint  # the live model does not become stale
    assert store.decision(int(row["id"]))["corrected_category"] == "complaint_suggestion"  # type: ignore[index]
    assert any(e["who"] == "bob" and e["action"] == "correct" for e in store.audit_log())


def test_correct_from_the_command_line(console_site: Site, store: Store) -> None:
    ref = next(t.ref for t in store.tickets() if t.category == "account")
    done = run_inboxd(console_site.config_path, "correct", ref, "transaction", "--who", "carol")
    assert done.returncode == 0, done.stderr
    path = console_site.classifiers / "examples" / CORRECTIONS
    with path.open(encoding="utf-8", newline="") as handle:
        last = list(csv.DictReader(handle))[-1]
    assert (last["category"], last["who"], last["ticket"]) == ("transaction", "carol", ref)
    bad = run_inboxd(console_site.config_path, "correct", ref, "no_such_category")
    assert bad.returncode == 2 and "unknown category" in bad.stderr


def test_resolve_an_unknown_acknowledgement(client: TestClient, store: Store) -> None:
    login(client, "dave")
    unknown = store.acks("unknown")[0]
    queue = client.get("/queues")
    assert f"ack-{unknown.id}-sent" in queue.text
    csrf = csrf_of(client, "/queues")
    page = client.post(f"/acks/{unknown.id}/resolve", data={"resolution": "sent", "csrf": csrf})
    assert page.status_code == 200 and f"Acknowledgement {unknown.id}: sent" in page.text
    assert store.ack(unknown.id).state == "sent"  # type: ignore[union-attr]
    assert any(e["who"] == "dave" and e["action"] == "ack sent" for e in store.audit_log())


def test_bearer_posts_need_no_csrf(client: TestClient, store: Store, console_site: Site) -> None:
    client.cookies.clear()
    ref = next(t.ref for t in store.tickets() if t.category == "deposit_withdrawal")
    row = store.message_by_ticket(ref)
    page = client.post(
        f"/decisions/{row}/correct",
        data={"category": "transaction"},
        headers=BEARER | {"X-Inboxd-Operator": "script"},
        follow_redirects=False,
    )
    assert page.status_code == 303
    assert any(e["who"] == "script" and e["target"].endswith(ref) for e in store.audit_log())


def test_filters(client: TestClient, store: Store) -> None:
    incident = client.get("/?security=1", headers=BEARER).text
    refs = {t.ref for t in store.security_incidents()}
    assert refs and all(ref in incident for ref in refs)
    assert "category=deposit_withdrawal" not in incident
    # The band the model's deposit decisions fall in depends on its (fitted) confidence: take
    # the bands that hold some, and check each holds only what it says.
    found = 0
    for band, (low, high) in BANDS.items():
        rows = store.decisions(DecisionFilter(category="deposit_withdrawal", by="model", band=band), 100)
        assert all(r["category"] == "deposit_withdrawal" and low <= r["confidence"] < high for r in rows)
        page = client.get(f"/?category=deposit_withdrawal&by=model&band={band}", headers=BEARER).text
        assert all(str(r["ticket_ref"]) in page for r in rows)
        found += len(rows)
    assert found


def test_train_compare_promote_and_roll_back(client: TestClient, store: Store, console_site: Site) -> None:
    row = xss_row(store)
    client.post(f"/decisions/{row['id']}/correct", data={"category": "other"}, headers=BEARER)
    login(client, "erin")
    files = ModelFiles(console_site.model_path)
    live = model_id(files.live)
    assert live and live in client.get("/model").text
    csrf = csrf_of(client, "/model")
    assert client.post("/model/train", data={"csrf": csrf, "cross_validate": "1"}).status_code == 200
    deadline = time.monotonic() + 60
    while client.get("/model/progress").json()["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    state = client.get("/model/progress").json()
    assert state["state"] == "done", state
    page = client.get("/model").text
    candidate = model_id(files.candidate)
    assert candidate and candidate != live and f"Promote {candidate}" in page
    assert "On the corrections" in page and "macro-F1" in page and "<svg" in page
    assert "Cross-validated on all" in page and 'id="cv-scores"' in page
    # The calibration plots: on the corrections (live and candidate) and cross-validated.
    assert page.count('aria-label="reliability diagram"') == 3 and "expected calibration error" in page
    page = client.post("/model/promote", data={"csrf": csrf_of(client, "/model")}).text
    assert model_id(files.live) == candidate and model_id(files.previous) == live
    assert f'id="live-model">{candidate}<' in page  # every page shows the live model
    client.post("/model/rollback", data={"csrf": csrf_of(client, "/model")})
    assert model_id(files.live) == live and model_id(files.previous) == candidate
    actions = [e["action"] for e in store.audit_log() if e["who"] == "erin"]
    assert {"train candidate", "promote", "roll back"} <= set(actions)


def test_a_running_daemon_reloads_the_model_it_is_given(client: TestClient, console_site: Site) -> None:
    files = ModelFiles(console_site.model_path)
    assert files.previous.exists()  # left by the test above
    run = Running(console_site.config_path)
    try:
        assert run.wait_log("inboxd running")
        client.cookies.clear()
        page = client.post("/model/rollback", headers=BEARER)
        assert page.status_code == 200 and "Rolled back" in page.text
        assert run.wait_log("the model file changed: reloading", timeout=30)
        assert run.wait_log("INFO    inboxd.daemon: reloaded", timeout=60)
    finally:
        assert run.stop() == 0, run.stderr


def test_console_refuses_to_start_without_a_good_token(console_site: Site) -> None:
    folder = console_site.config_path.parent
    (folder / "short-token").write_text("short\n")
    short = folder / "short.toml"
    short.write_text(console_site.config_path.read_text().replace('"console-token"', '"short-token"'))
    done = run_inboxd(short, "console")
    assert done.returncode == 2 and "console.token_file" in done.stderr and "shorter than 16" in done.stderr
    assert "short\n" not in done.stderr.replace("shorter", "")  # the token is never shown


def test_token_sources(console_site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_app(console_site.config_path, with_model=False).config
    assert load_token(config) == TOKEN
    env = config.model_copy(update={"console": ConsoleConfig(token_env="INBOXD_TEST_CONSOLE_TOKEN")})
    with pytest.raises(ConfigError, match="INBOXD_TEST_CONSOLE_TOKEN is not set"):
        load_token(env)
    monkeypatch.setenv("INBOXD_TEST_CONSOLE_TOKEN", "t" * 20)
    assert load_token(env) == "t" * 20
    with pytest.raises(ConfigError, match="set token_env or token_file"):
        load_token(config.model_copy(update={"console": ConsoleConfig()}))


def test_the_poll_keeps_text_only_as_configured(console_site: Site, dovecot: Dovecot, tmp_path: Path) -> None:
    """keep_text_days > 0: the redacted text is stored with the decision; set to 0, the next tick purges it."""
    user = f"user{next(_users)}@exchange.test"
    sections = {
        "classifier": {"dir": str(console_site.classifiers), "model_path": str(console_site.model_path)},
        "console": {"token_file": str(console_site.config_path.parent / "console-token"), "keep_text_days": 30},
    }
    config = write_config(tmp_path, model_path=console_site.model_path, imap_port=dovecot.port, imap_user=user,
                          smtp_port=console_site.sink.port, sections=sections)  # fmt: skip
    dovecot.append_many([stamp(HOSTILE[1])], user=user)
    poll(config)
    app = load_app(config, with_model=False)
    store = open_store(app.config)
    try:
        (kept,) = store.kept_texts()
        assert "restore it" in kept["model_text"] and "sausage" not in kept["model_text"]  # redacted
        sections["console"]["keep_text_days"] = 0
        write_config(tmp_path, model_path=console_site.model_path, imap_port=dovecot.port, imap_user=user,
                     smtp_port=console_site.sink.port, sections=sections)  # fmt: skip
        poll(config)
        assert store.kept_texts() == []
    finally:
        store.close()


def poll(config: Path) -> None:
    app = load_app(config)
    store = open_store(app.config)
    try:
        poll_once(app, store)
    finally:
        store.close()


def test_text_kept_only_as_long_as_configured(console_site: Site, store: Store) -> None:
    kept = store.kept_texts()
    assert kept
    assert store.purge_text(time.time() - 3600) == 0  # all younger than an hour
    app = load_app(console_site.config_path, with_model=False)
    other = open_store(app.config)
    try:
        assert other.purge_text(time.time() + 1) >= len(kept)
        assert other.kept_texts() == []
        assert (
            "Not kept." in TestClient(build(app, other, TOKEN)).get(f"/decisions/{kept[0]['id']}", headers=BEARER).text
        )
    finally:
        other.close()
