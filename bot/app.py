"""The ASGI application `clusterbot run` serves."""
from contextlib import asynccontextmanager

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.settings import Settings, get_settings
from storage.db import engine_for


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()

    async def healthz(request):
        def ping():
            with engine_for(settings.database_url).connect() as conn:
                conn.execute(text("SELECT 1"))
        try:
            await run_in_threadpool(ping)
        except Exception:
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(app):
        yield
        engine_for(settings.database_url).dispose()

    return Starlette(routes=[Route("/healthz", healthz)], lifespan=lifespan)
