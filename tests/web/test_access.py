"""Who may see and do what on the dashboard: signed out, another cluster, a viewer acting, a
form without its token, too many wrong passwords, an idle or superseded session."""
import time

import pytest
from dashboard_people import ADMIN, GRACE, OMAR, PASSWORD, RUTH, Browser
from scenes import count

from bot import accounts
from bot.web import access
from storage import users
from storage.db import unit_of_work
from storage.models import AuditEntry, SignInFailure


def test_signed_out_readers_are_sent_to_sign_in_and_see_nothing(browser):
    stranger = browser()
    for path in ("/dashboard", "/dashboard/kisumu-fish/", "/dashboard/no-such/"):
        response = stranger.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
        assert "Kisumu" not in response.text


def test_a_coordinator_sees_their_cluster_and_no_other(browser):
    grace = browser(GRACE)
    home = grace.get("/dashboard", follow_redirects=True)
    assert home.status_code == 200 and "Kisumu Fish" in home.text
    assert "Lamu" not in home.text
    other = grace.get("/dashboard/lamu-crafts/")
    assert other.status_code == 404 and "Lamu" not in other.text
    assert grace.get("/dashboard/no-such-cluster/").status_code == 404  # the same answer


def test_an_admin_sees_every_cluster(browser):
    listing = browser(ADMIN).get("/dashboard")
    assert "Kisumu Fish" in listing.text and "Lamu Crafts" in listing.text


def test_a_wrong_password_changes_nothing_and_is_counted(browser, factory):
    person = browser()
    response = person.sign_in(GRACE, "not the password")
    assert response.status_code == 401
    assert person.get("/dashboard").status_code == 303  # still signed out
    assert count(factory, SignInFailure) == 1


def test_too_many_wrong_passwords_for_one_account_are_answered_429(browser):
    attacker = browser()
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        assert attacker.sign_in(GRACE, "guess").status_code == 401
    assert attacker.sign_in(GRACE, "guess").status_code == 429
    # ... even with the right password, and from a fresh session, for a while
    assert browser().sign_in(GRACE).status_code == 429
    assert browser().sign_in(OMAR).status_code == 303  # another account is not locked


def test_too_many_wrong_passwords_from_one_address_are_answered_429(browser, factory, monkeypatch):
    monkeypatch.setattr(accounts, "MAX_FAILURES_PER_ADDRESS", 3)
    attacker = browser()
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        assert attacker.sign_in(email, "guess").status_code == 401
    assert attacker.sign_in(OMAR).status_code == 429


def test_sign_in_without_the_form_token_is_refused(browser):
    person = browser()
    person.get("/login")
    response = person.post("/login", {"email": GRACE, "password": PASSWORD}, token=False)
    assert response.status_code == 403
    assert person.get("/dashboard").status_code == 303


def test_logout_ends_the_session_and_needs_the_token(browser):
    grace = browser(GRACE)
    grace.get("/dashboard/kisumu-fish/")
    assert grace.post("/logout", token=False).status_code == 403
    assert grace.get("/dashboard/kisumu-fish/").status_code == 200  # still signed in
    assert grace.post("/logout").status_code == 303
    assert grace.get("/dashboard/kisumu-fish/").status_code == 303


def test_an_idle_session_ends(browser, monkeypatch):
    grace = browser(GRACE)
    later = time.time() + 61 * 60  # the default: an hour idle
    monkeypatch.setattr(access.time, "time", lambda: later)
    assert grace.get("/dashboard/kisumu-fish/").status_code == 303


def test_a_new_password_ends_every_open_session(browser, factory):
    grace = browser(GRACE)
    with unit_of_work(factory) as session:
        accounts.set_password(session, users.by_email(session, GRACE), "a new long password", "cli")
    assert grace.get("/dashboard/kisumu-fish/").status_code == 303
    assert browser().sign_in(GRACE, "a new long password").status_code == 303


def test_the_session_cookie_is_http_only_and_same_site(browser):
    person = browser()
    cookie = person.get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # the public URL of the tests is http


def test_a_signed_in_viewer_reads_but_never_sees_a_form_to_act(browser):
    ruth = browser(RUTH)
    assert ruth.get("/dashboard/kisumu-fish/").status_code == 200


def test_next_after_sign_in_stays_on_this_site(browser):
    person = Browser(browser().http.base_url)
    person.get("/login?next=//evil.example/dashboard")
    response = person.post("/login?next=//evil.example/dashboard",
                           {"email": GRACE, "password": PASSWORD})
    assert response.headers["location"] == "/dashboard"
    person = browser()
    person.get("/login?next=/dashboard/kisumu-fish/")
    response = person.post("/login?next=/dashboard/kisumu-fish/",
                           {"email": GRACE, "password": PASSWORD})
    assert response.headers["location"] == "/dashboard/kisumu-fish/"


@pytest.mark.parametrize("lang, word", [("sw", "Ingia"), ("fr", "Se connecter"),
                                        ("pt", "Entrar")])
def test_the_sign_in_page_speaks_the_reader_language(browser, lang, word):
    assert word in browser().get("/login", headers={"accept-language": f"{lang},en;q=0.5"}).text


def test_accounts_are_in_the_audit_log(factory, people):
    with unit_of_work(factory) as session:
        assert session.query(AuditEntry).filter_by(action="user.add").count() == 4


def test_an_id_beyond_the_database_integers_is_not_found(browser):
    """A guessed id too large for the database is 404 on every page, not a database error."""
    grace = browser(GRACE)
    for path in ("members/99999999999", "broadcasts/99999999999",
                 "broadcasts/99999999999/progress"):
        assert grace.get(f"/dashboard/kisumu-fish/{path}").status_code == 404, path
    grace.get("/dashboard/kisumu-fish/messages")
    answer = grace.post("/dashboard/kisumu-fish/messages/99999999999/answer", {"text": "Hello"})
    assert answer.status_code == 404
