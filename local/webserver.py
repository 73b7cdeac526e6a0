"""Serve web/ as static files, plus config.js (from the outputs) and models.json (from the build)."""

from __future__ import annotations

import json
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def config_js(outputs: dict[str, Any]) -> str:
    """window.APP_CONFIG as design.md specifies, rendered from build/local/outputs.json."""
    config = {
        "region": outputs["region"],
        "userPoolId": outputs["user_pool_id"],
        "clientId": outputs["client_id"],
        "apiUrl": outputs["api_url"],
        "cognitoEndpoint": outputs["aws_endpoint_url"].rstrip("/") + "/",
        "adminGroup": outputs.get("admin_group", "admin"),
    }
    return f"window.APP_CONFIG = {json.dumps(config, sort_keys=True)};\n"


class _Handler(SimpleHTTPRequestHandler):
    generated: dict[str, tuple[bytes, str]] = {}

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path = self.path.split("?", 1)[0]
        if path in self.generated:
            data, content_type = self.generated[path]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        super().do_GET()


class WebServer(ThreadingHTTPServer):
    daemon_threads = True


def make_server(
    web_dir: Path, outputs: dict[str, Any], models_json: Path | None, port: int = 0, host: str = "127.0.0.1"
) -> WebServer:
    generated = {"/config.js": (config_js(outputs).encode(), "application/javascript; charset=utf-8")}
    if models_json is not None and models_json.is_file():
        generated["/models.json"] = (models_json.read_bytes(), "application/json")
    handler = type("Handler", (_Handler,), {"generated": generated})
    return WebServer((host, port), partial(handler, directory=str(web_dir)))
