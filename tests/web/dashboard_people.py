"""The people of the dashboard tests, their HTTP client and the checks several page tests share
(imported by the test modules: `conftest` is a name every test folder has, and no test module
imports another)."""
import re

import httpx
from sqlalchemy import select

from storage.db import unit_of_work
from storage.models import AuditEntry

PASSWORD = "lake victoria 2026"
ADMIN = "admin@example.org"
GRACE = "grace@example.org"  # coordinator of Kisumu Fish
RUTH = "ruth@example.org"  # viewer of Kisumu Fish (a researcher)
OMAR = "omar@example.org"  # coordinator of Lamu Crafts only



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


def hidden_from_others(browser, section: str, secret: str) -> None:
    """Kisumu Fish's `section` is sent to sign in when signed out and is 404 to Omar (Lamu
    Crafts), without `secret`; Lamu Crafts' is 404 to Grace."""
    signed_out = browser().get(f"/dashboard/kisumu-fish/{section}")
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")
    omar = browser(OMAR).get(f"/dashboard/kisumu-fish/{section}")
    assert omar.status_code == 404 and secret not in omar.text
    assert browser(GRACE).get(f"/dashboard/lamu-crafts/{section}").status_code == 404


def audits(factory, action: str) -> list[AuditEntry]:
    """The audit entries of `action`, oldest first."""
    with unit_of_work(factory) as session:
        found = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                     .order_by(AuditEntry.id)))
        session.expunge_all()
        return found
