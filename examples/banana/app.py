"""The banana service of Stelligent's mu posts, as a tiny HTTP app: GET /bananas answers with JSON.

Standard library only, so the image needs nothing but Python. It listens on $PORT (8080), writes
nothing to disk (muon runs it as user 1000 on a read-only root filesystem), and stops cleanly on
SIGTERM, which ECS sends before it stops a task.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

BANANAS = ("Cavendish", "Gros Michel", "Lady Finger", "Red Dacca")


def database_host(url: str | None) -> str | None:
    """The host of mu's JDBC URL (jdbc:mysql://host:port/name), never the credentials."""
    if not url or "://" not in url:
        return None
    return urlsplit(url.split(":", 1)[1] if url.startswith("jdbc:") else url).hostname


def payload(environ: dict[str, str]) -> dict[str, object]:
    return {
        "bananas": list(BANANAS),
        "environment": environ.get("SPRING_PROFILES_ACTIVE", "local"),
        "database": database_host(environ.get("SPRING_DATASOURCE_URL")),
    }


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if urlsplit(self.path).path.rstrip("/") != "/bananas":
            self._send(404, {"error": "not found"})
            return
        self._send(200, payload(dict(os.environ)))

    def _send(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        sys.stdout.write(f"{self.address_string()} {format % args}\n")
        sys.stdout.flush()


def serve(port: int) -> None:
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)  # noqa: S104 - a container listens on all
    # shutdown() waits for serve_forever() to return: call it from another thread.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"banana listening on {port}", flush=True)
    with server:
        server.serve_forever()


if __name__ == "__main__":
    serve(int(os.environ.get("PORT", "8080")))
