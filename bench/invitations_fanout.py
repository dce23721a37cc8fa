"""Invitation fan-out benchmark (issue 5, DESIGN.md §10): 10,000 invitations from the CSV
upload to every message delivered at a local SMTP server, through gunicorn and one Celery
worker of 2 processes, measured twice in one run:

- chunked: the outbox as configured (OUTBOX_CHUNK_SIZE=50): one task per 50 emails, one SMTP
  connection per task;
- one connection per message: OUTBOX_CHUNK_SIZE=1, so every email is a task of its own with
  an SMTP connection of its own (what a naive "send_email.delay(id)" per invitation does).

    python bench/invitations_fanout.py [--rows 10000] [--help]

Each variant, on a letter of its own, with gunicorn and the worker restarted with its
setting: POST the CSV to the upload page (multipart, as a browser), GET the preview (every row
classified), POST "send"; then wait until the SMTP sink holds every message and every
invitation is `sent`. Reported: the time of each step, messages per second from the "send"
click to the last message, the SMTP connections the sink saw, and the peak resident memory
(VmHWM) of the gunicorn worker that handled the upload and the "send" request.

Checks (exit status 1 if one fails): every address received exactly one message (counted by
Message-ID at the sink), every Message-ID is an outbox row's, every invitation is `sent`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from email import message_from_bytes
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402 - needs the project root on sys.path first

KIB = 1024


class CountingSink(common.SmtpSink):
    """The shared sink, also counting the SMTP connections (sessions) that delivered."""

    def __init__(self) -> None:
        super().__init__()
        self.connections = 0
        self.first_at: float | None = None
        self.last_at: float | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        now = time.perf_counter()
        with self._lock:
            if not getattr(session, "bench_counted", False):  # one session per connection
                session.bench_counted = True
                self.connections += 1
            self.first_at = self.first_at or now
            self.last_at = now
        return await super().handle_DATA(server, session, envelope)

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.connections = 0
            self.first_at = self.last_at = None


class FanoutCpuMeter(common.CpuMeter):
    """CPU per part: gunicorn, the Celery worker, and this process (which runs the SMTP sink)."""

    def __init__(self, *, web_group: int, worker_groups: set[int]) -> None:
        super().__init__(server_group=web_group)
        self.worker_groups = worker_groups

    def _part(self, pid: int, group: int, cmdline: str) -> str:
        if group in self.worker_groups:
            return "celery worker"
        part = super()._part(pid, group, cmdline)
        return "this process (SMTP sink)" if part == "load generator" else part


def contacts_csv(rows: int, tag: str) -> bytes:
    lines = ["organisation,contact name,email,based in"]
    for i in range(rows):
        lines.append(
            f"Bench Organisation {tag} {i},Contact {i},contact{i}@org{i % 500}.{tag}.example.org,"
            f"{('Tibet', 'Hong Kong', 'East Turkestan', 'London')[i % 4]}"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = f"----bench{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
        "\r\nContent-Type: text/csv\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_multipart(client: common.Client, path: str, body: bytes, content_type: str):
    """common.Client's request, with a multipart body (it only builds urlencoded forms)."""
    headers = {
        "User-Agent": "undersigned-bench",
        "Content-Type": content_type,
        "Origin": client.origin,
        "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items()),
    }
    start = time.perf_counter()
    client.connection.request("POST", path, body=body, headers=headers)
    answer = client.connection.getresponse()
    data = answer.read()
    client._keep_cookies(answer.msg.get_all("Set-Cookie") or [])
    return common.Response(
        answer.status,
        {k.lower(): v for k, v in answer.getheaders()},
        data,
        time.perf_counter() - start,
    )


def gunicorn_workers(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def memory_kib(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            values[key] = int(rest.split()[0])
    return values


def logged_in_client(port: int, user) -> common.Client:
    """A session for `user` made directly in the session store: the benchmark measures the
    invitations, not the login with its second factor."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    client = common.Client(port, timeout=600)
    client.cookies["sessionid"] = session.session_key
    return client


def run_variant(args, *, name: str, chunk_size: int, stack_env: dict, sink: CountingSink, owner):
    from django.db import connections

    from letters import services
    from letters.models import Invitation, Letter
    from outbox.models import OutboundEmail

    letter = services.create_letter(
        author=owner,
        title=f"Fan-out benchmark, {name}",
        body="We, the undersigned organisations, urge you to raise human rights.",
        recipient="The Secretary of State",
        sign_on_mode=Letter.SignOnMode.INVITATION,
    )
    services.open_letter(letter=letter, actor=owner)
    content = contacts_csv(args.rows, name.split()[0].lower())
    connections.close_all()
    sink.reset()
    env = {**stack_env, "OUTBOX_CHUNK_SIZE": str(chunk_size)}
    report: dict = {
        "variant": name,
        "outbox_chunk_size": chunk_size,
        "celery_workers": args.workers,
        "processes_per_worker": args.concurrency,
        "csv_bytes": len(content),
    }
    logs = common.RESULTS_DIR
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(
            common.Gunicorn(
                port=args.port, env=env, log_path=logs / f"fanout-{chunk_size}-gunicorn.log"
            )
        )
        workers = [
            stack.enter_context(
                common.CeleryWorker(
                    env=env,
                    log_path=logs / f"fanout-{chunk_size}-worker-{number}.log",
                    concurrency=args.concurrency,
                    number=number,
                )
            )
            for number in range(args.workers)
        ]
        client = logged_in_client(args.port, owner)
        # Warm both gunicorn workers, so that their memory before the upload is a fair baseline.
        for _ in range(6):
            page = client.request("GET", f"/letters/{letter.slug}/invitations/import/", label="w")
            assert page.status == 200, page.status
        time.sleep(2)  # the workers finish starting
        for worker in workers:
            worker.check_alive()
        pids = gunicorn_workers(server.process.pid)
        before = {pid: memory_kib(pid) for pid in pids}
        cpu = FanoutCpuMeter(
            web_group=server.process.pid,
            worker_groups={worker.process.pid for worker in workers},
        )
        cpu_before = cpu.snapshot()

        token = common.csrf_token(page.body)
        body, content_type = multipart({"csrfmiddlewaretoken": token}, "contacts.csv", content)
        start = time.perf_counter()
        upload = post_multipart(
            client, f"/letters/{letter.slug}/invitations/import/", body, content_type
        )
        assert upload.status == 302, (upload.status, upload.body[:500])
        preview = client.request("GET", upload.location, label="preview")
        assert preview.status == 200, preview.status
        after_upload = {pid: memory_kib(pid) for pid in pids}
        token = common.csrf_token(preview.body)
        clicked = time.perf_counter()
        send = client.request(
            "POST",
            upload.location,
            label="send",
            form={"csrfmiddlewaretoken": token, "action": "confirm"},
        )
        assert send.status == 302, (send.status, send.body[:500])
        answered = time.perf_counter()
        after_send = {pid: memory_kib(pid) for pid in pids}

        deadline = time.monotonic() + args.timeout
        while sink.count < args.rows and time.monotonic() < deadline:
            for worker in workers:
                worker.check_alive()
            time.sleep(0.05)
        delivered = time.perf_counter()
        sent_invitations = 0
        while time.monotonic() < deadline:
            sent_invitations = Invitation.objects.filter(letter=letter, status="sent").count()
            if sent_invitations >= args.rows:
                break
            time.sleep(0.2)
        all_marked = time.perf_counter()
        cpu_seconds = cpu.seconds(cpu_before, cpu.snapshot())
        cpu_used = common.cpu_cores(cpu_seconds)

        def grew(snapshot):
            return {
                pid: {
                    "rss_before_mib": round(before[pid]["VmRSS"] / KIB, 1),
                    "peak_mib": round(snapshot[pid]["VmHWM"] / KIB, 1),
                    "peak_growth_mib": round(
                        (snapshot[pid]["VmHWM"] - before[pid]["VmHWM"]) / KIB, 1
                    ),
                }
                for pid in pids
            }

        message_ids = sink.message_ids()
        recipients = Counter(str(message_from_bytes(raw)["To"]) for raw in list(sink.messages))
        outbox_ids = set(
            OutboundEmail.objects.filter(batch=f"letter:{letter.pk}:invitations").values_list(
                "message_id", flat=True
            )
        )
        report.update(
            upload_seconds=round(upload.seconds, 2),
            preview_seconds=round(preview.seconds, 2),
            send_request_seconds=round(answered - clicked, 2),
            send_to_last_message_seconds=round(delivered - clicked, 2),
            first_message_after_send_seconds=round((sink.first_at or delivered) - clicked, 2),
            upload_to_last_message_seconds=round(delivered - start, 2),
            upload_to_all_marked_sent_seconds=round(all_marked - start, 2),
            messages=sink.count,
            messages_per_second=round(sink.count / (delivered - clicked), 1),
            # From the first message at the sink to the last: the workers alone, without the
            # "send" request that comes before any message in the chunked variant.
            delivery_messages_per_second=round(
                sink.count / max(delivered - (sink.first_at or clicked), 1e-9), 1
            ),
            smtp_connections=sink.connections,
            memory_during_upload_and_preview=grew(after_upload),
            memory_during_send=grew(after_send),
            cpu_cores_during_run=cpu_used,
            worker_cpu_ms_per_message=round(1000 * cpu_seconds["celery worker"] / args.rows, 2),
            checks={
                "every address once": recipients
                == Counter(
                    {
                        f"contact{i}@org{i % 500}.{name.split()[0].lower()}.example.org": 1
                        for i in range(args.rows)
                    }
                ),
                "distinct Message-IDs": len(set(message_ids)) == len(message_ids) == args.rows,
                "every Message-ID an outbox row's": set(message_ids) == outbox_ids,
                "every invitation sent": sent_invitations == args.rows,
            },
        )
    return report


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=900.0, help="per variant, seconds")
    parser.add_argument(
        "--only", choices=["chunked", "per-message"], help="run one variant (default: both)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Celery worker processes started side by side on the one broker (scale-out)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=2, help="processes (prefork) per Celery worker"
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    common.stop_on_signals()
    with contextlib.ExitStack() as stack:
        stack.enter_context(common.exclusive_run())
        database = stack.enter_context(common.ScratchDatabase())
        redis = stack.enter_context(common.ScratchRedis())
        sink = stack.enter_context(CountingSink())
        static_root = stack.enter_context(tempfile.TemporaryDirectory())
        args.port = common.free_port()
        env = common.server_env(
            database_url=database.url,
            redis_url=redis.url,
            email_url=sink.url,
            static_root=static_root,
            port=args.port,
            extra={"INVITATION_CSV_MAX_ROWS": str(max(args.rows, 10_000))},
        )
        common.setup_django(env)
        common.prepare_database()
        from tests.factories import make_coordinator  # the same coordinator the tests build

        owner = make_coordinator(email="bench-coordinator@lead.example.org")
        variants = [("chunked (50 per connection)", 50), ("per-message connection", 1)]
        if args.only:
            variants = [v for v in variants if v[0].startswith(args.only.split("-")[0])]
        reports = []
        for name, chunk in variants:
            print(f"\n== {name}: {args.rows:,} invitations", flush=True)
            report = run_variant(
                args, name=name, chunk_size=chunk, stack_env=env, sink=sink, owner=owner
            )
            reports.append(report)
            for key, value in report.items():
                print(f"  {key}: {value}")
        machine = common.machine_and_versions(redis.url)
        path = common.write_results(
            "invitations-fanout", {"machine": machine, "rows": args.rows, "variants": reports}
        )
        print(f"\nresults: {path}")
        if len(reports) == 2:
            a, b = reports
            print(
                f"chunked / per-message, messages per second: {a['messages_per_second']} / "
                f"{b['messages_per_second']} = "
                f"{a['messages_per_second'] / b['messages_per_second']:.2f}"
            )
        failed = [(r["variant"], k) for r in reports for k, ok in r["checks"].items() if not ok]
        if failed:
            print(f"CHECKS FAILED: {failed}")
            return 1
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    sys.exit(main())
