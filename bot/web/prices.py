"""Dashboard pages: prices (being built)."""
from starlette.routing import Route

from bot.web.site import Site


def routes(site: Site) -> list[Route]:
    return []
