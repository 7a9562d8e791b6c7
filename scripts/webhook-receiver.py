#!/usr/bin/env python3
"""A real webhook receiver on 127.0.0.1 for the notice tests, the crash check and the bench.

It verifies every delivery with the Standard Webhooks reference library (`standardwebhooks`
from PyPI) and records it; a duplicate (the same webhook-id again) is recorded as such and can
be dropped, as a real receiver would.

Prints the port it bound as its first stdout line (flushed), so callers wait on that line, not
on a sleep. Stops when its standard input closes (its caller is gone).

Paths:
  POST /_register        {"path": "/hooks/a", "secret": "whsec_…", "behaviour": "ok"}
                         behaviour: ok | status:<code>[:<retry-after>] | fail-first:<n> | slow:<seconds>
  GET  /_received        every delivery so far: [{"path", "id", "timestamp", "type", "verified", "duplicate", "data"}]
  GET  /_stats           {"received": n, "unique": n, "duplicates": n, "unverified": n}
  POST <registered path> a delivery
"""

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

lock = threading.Lock()
hooks = {}       # path -> {"secret", "behaviour", "attempts": {id: n}}
received = []    # every delivery, in arrival order
seen = set()     # webhook-ids delivered with a 2xx answer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The head and the body go out in two writes: without TCP_NODELAY the second waits for the
    # client's delayed ACK (40 ms), which would measure the kernel rather than the sender.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with lock:
            if self.path == "/_received":
                return self.answer(200, json.dumps(received).encode())
            if self.path == "/_stats":
                unique = len({(r["path"], r["id"]) for r in received if r["accepted"]})
                stats = {"received": len(received), "unique": unique,
                         "duplicates": sum(1 for r in received if r["duplicate"]),
                         "unverified": sum(1 for r in received if not r["verified"])}
                return self.answer(200, json.dumps(stats).encode())
        self.answer(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if len(body) < length:
            # The sender went away mid-request (a scheduler killed while sending): nothing was
            # delivered, and there is nobody to answer.
            self.close_connection = True
            return
        if self.path == "/_register":
            spec = json.loads(body)
            with lock:
                hooks[spec["path"]] = {"secret": spec["secret"], "behaviour": spec.get("behaviour", "ok"), "attempts": {}}
            return self.answer(204)
        with lock:
            hook = hooks.get(self.path)
        if hook is None:
            return self.answer(404)
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            payload = Webhook(hook["secret"]).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            payload, verified = None, False
        message_id = headers.get("webhook-id", "")
        behaviour = hook["behaviour"]
        with lock:
            attempt = hook["attempts"].get(message_id, 0) + 1
            hook["attempts"][message_id] = attempt
        status, extra = 200, []
        if behaviour.startswith("status:"):
            parts = behaviour.split(":")
            status = int(parts[1])
            if len(parts) > 2:
                extra.append(("Retry-After", parts[2]))
        elif behaviour.startswith("fail-first:") and attempt <= int(behaviour.split(":")[1]):
            status = 500
        elif behaviour.startswith("slow:"):
            time.sleep(float(behaviour.split(":")[1]))
        accepted = verified and 200 <= status < 300
        if not verified:
            status = 401
        with lock:
            key = (self.path, message_id)
            duplicate = accepted and key in seen
            if accepted:
                seen.add(key)
            received.append({"path": self.path, "id": message_id, "timestamp": headers.get("webhook-timestamp"),
                             "type": (payload or {}).get("type"), "data": (payload or {}).get("data"),
                             "verified": verified, "accepted": accepted, "duplicate": duplicate, "status": status})
        self.answer(status, b"{}", extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    # A sender opens many connections at once: a backlog of 5 (the default) would reset them.
    ThreadingHTTPServer.request_queue_size = 512
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # returns when the caller closes our standard input or dies


if __name__ == "__main__":
    main()
