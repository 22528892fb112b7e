"""The dashboard: the coordinators' web workplace, served by `clusterbot run` itself."""
import secrets
from pathlib import Path

from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bot.web import (broadcasts, directory, home, inbox, market, meetings, members, prices, public,
                     signin, skills, surveys, tenders)
from bot.web.site import Site
from storage import users
from storage.db import unit_of_work

STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "clusterbot_session"
SESSION_DAYS = 1  # a cookie ends a day after sign-in at the latest; idleness ends it sooner


def routes(services) -> list[BaseRoute]:
    site = Site(services.settings, services.factory)
    sections = (home, members, broadcasts, inbox, meetings, prices, skills, market, directory,
                tenders, surveys)
    pages = [route for module in sections for route in module.routes(site)]
    return [*signin.routes(site), *pages, *public.routes(site),
            Mount("/static", StaticFiles(directory=STATIC), name="static")]


def middleware(services) -> list[Middleware]:
    """Signed session cookies (HttpOnly, SameSite=Lax, Secure behind https) and gzip."""
    settings = services.settings
    return [Middleware(GZipMiddleware, minimum_size=1000),
            Middleware(LazySessions, key=lambda: session_key(services),
                       https_only=settings.public_url.startswith("https://"))]


def session_key(services) -> str:
    """CLUSTERBOT_SECRET_KEY, else a key made once and kept in the database, so every process
    of the deployment signs alike and a restart signs no one out."""
    if services.settings.secret_key:
        return services.settings.secret_key
    with unit_of_work(services.factory) as session:
        return users.shared_secret(session, "session", lambda: secrets.token_urlsafe(48))


class LazySessions:
    """SessionMiddleware whose key is read on the first request (the database is migrated by
    then), not when the app is built."""

    def __init__(self, app, key, https_only: bool):
        self.app, self.key, self.https_only = app, key, https_only
        self.inner = None

    async def __call__(self, scope, receive, send):
        if self.inner is None:
            self.inner = SessionMiddleware(self.app, secret_key=self.key(),
                                           session_cookie=SESSION_COOKIE,
                                           max_age=SESSION_DAYS * 86400, same_site="lax",
                                           https_only=self.https_only)
        await self.inner(scope, receive, send)
