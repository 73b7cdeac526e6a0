"""A bedrock-runtime stand-in on 127.0.0.1 that answers at once (for fresh-process measurements)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.fake_bedrock import answer, secret_answer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        # the same server stands in for Secrets Manager (AWS_ENDPOINT_URL_SECRETS_MANAGER)
        if (self.headers.get("X-Amz-Target") or "").startswith("secretsmanager."):
            status, headers, body = secret_answer()
        else:
            status, headers, body = answer(f"http://loopback{self.path}")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@contextmanager
def loopback_bedrock() -> Iterator[str]:
    """Yields the endpoint URL; the server stops when the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
