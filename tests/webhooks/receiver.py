"""A webhook receiver for the tests: plain HTTP on 127.0.0.1 (a random port), in a thread.

It checks each request's signature as the README tells receivers to, keeps the event ids it
accepted (and how often each came), and can be told to answer 500 the next n times, to hang
past the sender's timeout, or to be slow.
"""

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from webhooks import signing


@dataclass
class Received:
    event_id: str
    event: str
    body: dict
    headers: dict
    signature_valid: bool
    answered: int


@dataclass
class Receiver:
    secret: str = ""
    fail_next: int = 0  # answer 500 this many times
    hang_next: int = 0  # sleep hang_seconds before answering, this many times
    hang_seconds: float = 3.0
    delay: float = 0.0  # every answer this much later
    answers: list[int] = field(default_factory=list)  # answer these statuses first, in order
    drip_next: int = 0  # answer a byte at a time (never tripping a read timeout), this often
    requests: list[Received] = field(default_factory=list)
    accepted: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/undersigned?x=1"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's API
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    drip = receiver.drip_next > 0
                    receiver.drip_next -= drip
                if drip:
                    try:
                        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                        for _ in range(100):  # 20 s of headers, a byte every 0.2 s
                            self.wfile.write(b"X")
                            self.wfile.flush()
                            time.sleep(0.2)
                    except OSError:
                        pass  # the sender cut it
                    return
                with receiver.lock:
                    hang = receiver.hang_next > 0
                    receiver.hang_next -= hang
                    fail = not hang and receiver.fail_next > 0
                    receiver.fail_next -= fail
                    scripted = receiver.answers.pop(0) if receiver.answers and not hang else None
                valid = signing.verify(
                    secret=receiver.secret,
                    header_value=self.headers.get("Undersigned-Signature", ""),
                    body=raw,
                )
                event_id = self.headers.get("Undersigned-Event-Id", "")
                if hang:
                    time.sleep(receiver.hang_seconds)
                    status = 200  # too late: the sender gave up, this is not an acceptance
                elif scripted is not None:
                    status = scripted
                elif fail:
                    status = 500
                elif not valid:
                    status = 400
                else:
                    status = 200
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.requests.append(
                        Received(
                            event_id=event_id,
                            event=self.headers.get("Undersigned-Event", ""),
                            body=json.loads(raw),
                            headers=dict(self.headers),
                            signature_valid=valid,
                            answered=status,
                        )
                    )
                    if status == 200 and not hang:
                        receiver.accepted[event_id] += 1
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"ok" if status == 200 else b"Internal trouble, sorry")
                except OSError:
                    pass  # the sender hung up (it timed out)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
