"""A stand-in for a worker process under the supervisor: the same web routes, no Kafka.

`python fake_member.py SUPERVISOR_PID`: member `i` (from its data directory's name) counts one record,
is ready, holds serials `S-i` and `ODD-i` (one no URL path can spell unquoted), and dies with its
supervisor as a real member does. It reads a path as aiohttp does: the query apart, then unquoted.
FAKE_IGNORE_SIGTERM=1 makes it ignore SIGTERM (a hung worker).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from fapiao.supervisor import die_with_parent

ODD = "a?b/../%\r\n#"
METRICS = ('# TYPE fake_records_total counter\nfake_records_total{topic="requests"} 1\n'
           '# TYPE fake_lag gauge\nfake_lag 2\n')


class Routes(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        index = int(Path(os.environ["FAPIAO_DATA_DIR"]).name.removeprefix("member-"))
        held = (f"S-{index}", f"{ODD}-{index}")
        routes = {"/metrics": (200, METRICS), "/readyz": (200, json.dumps({"ready": True, "stalled": []})),
                  **{f"/invoices/{serial}": (200, json.dumps({"serial": serial, "member": index})) for serial in held}}
        status, body = routes.get(unquote(urlsplit(self.path).path), (404, "{}"))
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    die_with_parent(int(sys.argv[1]))  # the supervisor's pid, as `fapiao worker --member-of` gets it
    if os.environ.get("FAKE_IGNORE_SIGTERM"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["FAPIAO_WEB_PORT"])), Routes)
    server.serve_forever()


if __name__ == "__main__":
    main()
