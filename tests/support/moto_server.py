"""Start a moto server on loopback, on a free port, for tests and local tooling.

Usage::

    from tests.support.moto_server import start_moto_server
    url, stop = start_moto_server()
    ...
    stop()
"""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Callable

from moto.server import ThreadedMotoServer

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """Ask the kernel for a port nobody is listening on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, timeout: float = 15.0) -> None:
    """Wait until the server accepts a connection.

    A TCP connect, not an HTTP probe: moto's cheap-looking /moto-api/data.json dumps every
    backend of the process, which late in a long test run takes longer than any sane timeout.
    """
    host, port = url.removeprefix("http://").rsplit(":", 1)
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, int(port)), timeout=2):
                return
        except OSError as exc:  # still starting
            last_error = exc
            time.sleep(0.05)
    raise RuntimeError(f"moto server at {url} did not come up: {last_error}")


def start_moto_server(port: int | None = None) -> tuple[str, Callable[[], None]]:
    """Start a ThreadedMotoServer on 127.0.0.1 and return (url, stop)."""
    port = port or free_port()
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    url = f"http://{HOST}:{port}"
    _wait_until_up(url)
    return url, server.stop


def reset_moto_server(url: str) -> None:
    """Drop every resource the server holds (between tests that need a clean account)."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback
        pass


def start_serial_moto_server() -> tuple[str, Callable[[], None]]:
    """A moto server that handles one request at a time, on 127.0.0.1 (free port).

    moto's threaded server checks a DynamoDB condition and applies the update in separate steps of
    one request thread, so two concurrent conditional updates can both pass; DynamoDB applies
    each conditional write atomically. Tests of concurrent conditional writes use this server,
    whose serial handling gives that atomicity. It shares the process's moto backends.
    """
    import threading

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    port = free_port()
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(HOST, port, app, threaded=False, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="serial-moto", daemon=True)
    thread.start()
    # make_server has bound and is listening: requests queue until serve_forever takes them.
    # (No /moto-api/data.json probe: it dumps every backend of the process, slow late in a run.)
    url = f"http://{HOST}:{port}"

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=10)

    return url, stop
