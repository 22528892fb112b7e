"""`clusterbot user add|list|remove|password`: the accounts the dashboard signs in."""
import pytest
from dashboard_people import PASSWORD
from typer.testing import CliRunner

from bot import cli
from bot.settings import get_settings


@pytest.fixture
def clusterbot(factory, settings, kisumu, lamu):
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args, input=None: runner.invoke(cli.app, list(args), input=input)
    get_settings.cache_clear()


def test_an_account_is_made_and_signs_in(clusterbot, browser):
    made = clusterbot("user", "add", "Amina@Example.org", "--role", "coordinator",
                      "--cluster", "kisumu-fish", "--cluster", "lamu-crafts", input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    assert "amina@example.org: coordinator of kisumu-fish, lamu-crafts" in made.output
    listing = clusterbot("user", "list").output
    assert "amina@example.org  coordinator of kisumu-fish, coordinator of lamu-crafts" in listing
    assert browser().sign_in("amina@example.org").status_code == 303


@pytest.mark.parametrize("args, said", [
    (["--role", "boss", "--cluster", "kisumu-fish"], "--role must be one of"),
    (["--role", "viewer"], "a viewer needs at least one --cluster"),
    (["--role", "viewer", "--cluster", "nowhere"], "no cluster nowhere"),
])
def test_a_wrong_account_is_refused_with_a_reason(clusterbot, args, said):
    result = clusterbot("user", "add", "wanjiru@example.org", *args, input=PASSWORD + "\n")
    assert result.exit_code != 0
    assert said in result.output
    assert "wanjiru@example.org" not in clusterbot("user", "list").output


def test_a_short_password_or_a_taken_email_is_refused(clusterbot):
    short = clusterbot("user", "add", "wanjiru@example.org", "--role", "admin", input="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    assert clusterbot("user", "add", "wanjiru@example.org", "--role", "admin",
                      input=PASSWORD + "\n").exit_code == 0
    again = clusterbot("user", "add", "WANJIRU@example.org", "--role", "admin", input=PASSWORD + "\n")
    assert again.exit_code == 1 and "already has an account" in again.output


def test_password_and_remove_end_the_sessions(clusterbot, browser):
    clusterbot("user", "add", "wanjiru@example.org", "--role", "viewer", "--cluster", "kisumu-fish",
               input=PASSWORD + "\n")
    wanjiru = browser("wanjiru@example.org")
    changed = clusterbot("user", "password", "wanjiru@example.org", input="another long one\n")
    assert changed.exit_code == 0, changed.output
    assert wanjiru.get("/dashboard/kisumu-fish/").status_code == 303
    assert browser().sign_in("wanjiru@example.org", "another long one").status_code == 303
    assert clusterbot("user", "remove", "wanjiru@example.org").exit_code == 0
    assert browser().sign_in("wanjiru@example.org", "another long one").status_code == 401
    assert clusterbot("user", "remove", "wanjiru@example.org").exit_code == 1
