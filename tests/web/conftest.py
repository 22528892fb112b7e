"""The dashboard through real HTTP: the app served on a loopback port, people signed in."""
import re

import httpx
import pytest
from doubles.server import serve
from scenes import lamu_crafts

from bot import accounts
from bot.app import create_app
from storage.db import unit_of_work

PASSWORD = "lake victoria 2026"
ADMIN = "admin@example.org"
GRACE = "grace@example.org"  # coordinator of Kisumu Fish
RUTH = "ruth@example.org"  # viewer of Kisumu Fish (a researcher)
OMAR = "omar@example.org"  # coordinator of Lamu Crafts only


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


class Browser:
    """A person's HTTP client: keeps the session cookie and the token of the last form."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=10)
        self.token: str | None = None

    def get(self, path: str, **kw) -> httpx.Response:
        response = self.http.get(path, **kw)
        found = re.search(r'name="csrf" value="([^"]+)"', response.text)
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict | None = None, *, token: bool = True, **kw):
        """Posts a form as the page would: with its token, unless `token` is False."""
        fields = dict(data or {})
        if token:
            fields.setdefault("csrf", self.token)
        return self.http.post(path, data=fields, **kw)

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        self.get("/login")
        return self.post("/login", {"email": email, "password": password})


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
