"""Request bodies read no further than a limit: anyone who reaches the app may send gigabytes."""
from starlette.exceptions import HTTPException
from starlette.requests import Request


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body; 413 as soon as it is over `limit` bytes, the rest left unread."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, "too large")
    return body
