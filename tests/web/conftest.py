"""The dashboard through real HTTP: the app served on a loopback port, people signed in."""
import pytest
from dashboard_people import ADMIN, GRACE, OMAR, PASSWORD, RUTH, Browser
from doubles.server import serve
from scenes import lamu_crafts

from bot import accounts
from bot.app import create_app
from storage.db import unit_of_work


@pytest.fixture
def lamu(factory):
    with unit_of_work(factory) as session:
        return lamu_crafts(session)


@pytest.fixture
def people(factory, kisumu, lamu):
    """An admin, a coordinator and a viewer of Kisumu Fish, and a coordinator of Lamu Crafts."""
    with unit_of_work(factory) as session:
        accounts.add_user(session, ADMIN, PASSWORD, "admin", [], "cli")
        accounts.add_user(session, GRACE, PASSWORD, "coordinator", [kisumu], "cli")
        accounts.add_user(session, RUTH, PASSWORD, "viewer", [kisumu], "cli")
        accounts.add_user(session, OMAR, PASSWORD, "coordinator", [lamu], "cli")


@pytest.fixture
def site(settings, people):
    """The running app's base URL."""
    with serve(create_app(settings)) as url:
        yield url


@pytest.fixture
def browser(site):
    """browser(email) -> a Browser signed in as that person; browser() -> signed out."""
    opened = []

    def open_as(email: str | None = None) -> Browser:
        person = Browser(site)
        opened.append(person)
        if email:
            assert person.sign_in(email).status_code == 303
        return person

    yield open_as
    for person in opened:
        person.http.close()
