"""Run an ASGI app with uvicorn on a free loopback port in a background thread."""
import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn


@contextlib.contextmanager
def serve(app, host: str = "127.0.0.1", startup_timeout: float = 10.0,
          shutdown_timeout: float = 2.0) -> Iterator[str]:
    """Serve `app` until the block ends; yield its base URL, e.g. "http://127.0.0.1:54321"."""
    # Binding the socket here (port 0) gives the port before uvicorn starts, with no race.
    # IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on sockets whose proto says TCP,
    # and without it Nagle + delayed ACKs cost ~40 ms per response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="on", access_log=False,
        timeout_graceful_shutdown=shutdown_timeout, proxy_headers=False, server_header=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=_run, args=(server, sock), name=f"asgi-{port}", daemon=True)
    thread.start()
    try:
        _wait_started(server, thread, startup_timeout)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(shutdown_timeout + 3)
        if thread.is_alive():
            server.force_exit = True
            thread.join(2)
        sock.close()


def _run(server: uvicorn.Server, sock: socket.socket) -> None:
    """Run uvicorn; it calls sys.exit on a startup failure, which must end only this thread."""
    with contextlib.suppress(SystemExit):
        server.run(sockets=[sock])


def _wait_started(server: uvicorn.Server, thread: threading.Thread, timeout: float) -> None:
    """Poll until uvicorn reports started; fail fast if its thread died (e.g. lifespan error)."""
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("ASGI server failed to start (see its log above)")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError(f"ASGI server not started after {timeout} s")
        time.sleep(0.005)
