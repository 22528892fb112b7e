"""GET/POST /login and POST /logout."""
from datetime import datetime, timezone

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import accounts
from bot.web import access
from bot.web.site import Site
from storage.db import unit_of_work

MAX_FIELD = 500  # characters of an email or a password read at the most


def routes(site: Site) -> list[Route]:
    async def form(request: Request) -> Response:
        return site.render(None, request, "login.html", next=safe_next(request))

    async def submit(request: Request) -> Response:
        data = await request.form(max_fields=10, max_part_size=4096)
        if not access.csrf_ok(request, data.get("csrf")):
            return site.refusal(request, 403)
        email = str(data.get("email", ""))[:MAX_FIELD]
        password = str(data.get("password", ""))[:MAX_FIELD]
        address = request.client.host if request.client else "unknown"
        try:
            user = await run_in_threadpool(check, email, password, address)
        except accounts.Throttled:
            return site.render(None, request, "login.html", status=429, email=email, throttled=True,
                               next=safe_next(request))
        if user is None:
            return site.render(None, request, "login.html", status=401, email=email, wrong=True,
                               next=safe_next(request))
        access.sign_in(request, user)
        return RedirectResponse(safe_next(request) or "/dashboard", 303)

    def check(email: str, password: str, address: str):
        with unit_of_work(site.factory) as session:
            return accounts.sign_in(session, email, password, address, datetime.now(timezone.utc))

    async def logout(request: Request) -> Response:
        data = await request.form(max_fields=10, max_part_size=4096)
        if not access.csrf_ok(request, data.get("csrf")):
            return site.refusal(request, 403)
        access.sign_out(request)
        return RedirectResponse("/login", 303)

    return [Route("/login", form), Route("/login", submit, methods=["POST"]),
            Route("/logout", logout, methods=["POST"])]


def safe_next(request: Request) -> str | None:
    """Where to go after signing in: a dashboard path of this site, never another site."""
    wanted = request.query_params.get("next", "")
    return wanted if wanted.startswith("/dashboard") and "//" not in wanted else None
