"""The people of the dashboard tests and their HTTP client (imported by the test modules;
`conftest` is a name every test folder has, so it is not imported by name)."""
import re

import httpx

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
