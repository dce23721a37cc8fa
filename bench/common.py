"""What every benchmark in bench/ shares: a scratch PostgreSQL database and Redis database, a
production-shaped gunicorn (and, when asked, a Celery worker) in process groups of their own,
an SMTP sink, a small load generator, and the report (table + JSON in bench/results/).

A benchmark script is written as one `with ExitStack()`: every process and scratch resource is
entered there, so a failure, Ctrl-C or SIGTERM stops the processes and drops the scratch data.

Load goes to 127.0.0.1 only, bounded in time and in count.
"""

from __future__ import annotations

import base64
import contextlib
import email
import fcntl
import http.client
import importlib.metadata
import itertools
import json
import math
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
LOOPBACK = "127.0.0.1"
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}

# The scratch database every run creates and drops (it must not exist for anything else).
BENCH_DATABASE = "undersigned_bench"
# A PostgreSQL database to connect to while creating and dropping the scratch one.
BENCH_PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
# A Redis database of the benchmarks' own: it is emptied before and after every run.
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# Held for the whole run: two benchmarks at once would share the scratch databases and,
# on two cores, spoil each other's figures.
LOCK_PATH = Path("/tmp/undersigned-bench.lock")  # noqa: S108 - a lock file, not data

if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))


def _require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK_NAMES:
        raise SystemExit(f"benchmarks run against this machine only, not {host!r} ({url})")


# --- Run-wide safety --------------------------------------------------------------------------


def stop_on_signals() -> None:
    """SIGTERM / SIGHUP raise SystemExit like Ctrl-C raises KeyboardInterrupt, so the `finally`
    of every context manager runs and no gunicorn or worker outlives the script."""

    def _exit(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGHUP, _exit)


@contextlib.contextmanager
def exclusive_run() -> Iterator[None]:
    """One benchmark at a time on this machine."""
    with LOCK_PATH.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"another benchmark is running (lock {LOCK_PATH})") from None
        yield


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


# --- Scratch PostgreSQL and Redis -------------------------------------------------------------


class ScratchDatabase:
    """CREATE the scratch database on enter (dropping a leftover of a crashed run first), DROP
    it on exit, whatever happened in between."""

    def __init__(self, name: str = BENCH_DATABASE, admin_url: str = BENCH_PG_ADMIN_URL) -> None:
        _require_loopback(admin_url)
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"unsafe database name {name!r}")
        self.name = name
        self.admin_url = admin_url

    @property
    def url(self) -> str:
        parts = urlsplit(self.admin_url)
        return parts._replace(path=f"/{self.name}").geturl()

    def _execute(self, sql: str) -> None:
        import psycopg2

        connection = psycopg2.connect(self.admin_url)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def drop(self) -> None:
        # FORCE: a benchmark's own connections (this process, a killed worker) must not keep it.
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def __enter__(self) -> ScratchDatabase:
        self.drop()
        self._execute(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc_info) -> None:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        self.drop()


class ScratchRedis:
    """The benchmarks' Redis database (Celery queue, result backend, cache, rate limits),
    emptied before and after the run."""

    def __init__(self, url: str = BENCH_REDIS_URL) -> None:
        _require_loopback(url)
        self.url = url

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=10)

    def queue_length(self, queue: str = "celery") -> int:
        return int(self.client().llen(queue))

    def __enter__(self) -> ScratchRedis:
        self.client().flushdb()
        return self

    def __exit__(self, *exc_info) -> None:
        self.client().flushdb()


class SmtpSink:
    """An SMTP server on a free loopback port that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self._lock = threading.Lock()
        self.port = 0
        self._controller = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        with self._lock:
            self.messages.append(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def message_ids(self) -> list[str]:
        with self._lock:
            return [str(email.message_from_bytes(m)["Message-ID"]) for m in self.messages]

    @property
    def url(self) -> str:
        return f"smtp://{LOOPBACK}:{self.port}"

    def __enter__(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self._controller = Controller(self, hostname=LOOPBACK, port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._controller is not None:
            self._controller.stop()


# --- Django, in this process and in the servers ---------------------------------------------


def server_env(
    *,
    database_url: str,
    redis_url: str,
    email_url: str,
    static_root: str,
    port: int,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of gunicorn, the worker and this process: production settings, except
    plain HTTP on loopback.

    DEBUG=0 makes the session and CSRF cookies Secure. A browser would not send them back over
    http://; the load generator is raw http.client with a cookie jar of its own that ignores
    the flag, so nothing production-like has to be switched off for the benchmark.
    """
    site_url = f"http://{LOOPBACK}:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        # A developer's own gunicorn or Celery options would change what is measured.
        if not key.startswith(("GUNICORN_", "CELERY_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS=LOOPBACK,
        SITE_URL=site_url,
        CSRF_TRUSTED_ORIGINS=site_url,
        SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback; everything else stays production
        DATABASE_URL=database_url,
        CONN_MAX_AGE="60",
        REDIS_URL=redis_url,
        EMAIL_URL=email_url,
        FIELD_ENCRYPTION_KEYS=env.get("BENCH_FIELD_ENCRYPTION_KEYS")
        or base64.urlsafe_b64encode(os.urandom(32)).decode(),
        FIELD_INDEX_KEY=env.get("BENCH_FIELD_INDEX_KEY") or secrets.token_urlsafe(32),
        STATIC_ROOT=static_root,
        LOG_LEVEL="WARNING",
        BENCH_VIEWS="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    # The SECRET_KEY is chosen once, so this process and the servers agree on it.
    env["BENCH_SECRET_KEY"] = env["SECRET_KEY"]
    env["BENCH_FIELD_ENCRYPTION_KEYS"] = env["FIELD_ENCRYPTION_KEYS"]
    env["BENCH_FIELD_INDEX_KEY"] = env["FIELD_INDEX_KEY"]
    return env


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process with the servers' environment (for fixtures, row
    counts and in-process query counts)."""
    os.environ.update(env)
    import django

    django.setup()


def prepare_database() -> None:
    """migrate, collectstatic (DEBUG=0 serves hashed names from the manifest), and the table of
    the bare insert view."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    create_bench_rows_table()


def create_bench_rows_table() -> None:
    from django.db import connection

    from bench.views import BENCH_ROWS_DDL, BENCH_ROWS_TABLE

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BENCH_ROWS_TABLE}")
        cursor.execute(BENCH_ROWS_DDL)


def drop_bench_rows_table() -> None:
    from django.db import connection

    from bench.views import BENCH_ROWS_TABLE

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BENCH_ROWS_TABLE}")


def count_bench_rows() -> int:
    from django.db import connection

    from bench.views import BENCH_ROWS_TABLE

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {BENCH_ROWS_TABLE}")  # noqa: S608 - constant
        return int(cursor.fetchone()[0])


# --- Processes --------------------------------------------------------------------------------


class ServerProcess:
    """A child in a process group of its own, stopped with its whole group (a gunicorn master
    and its workers, a Celery worker and its pool): TERM, then KILL after a grace period."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], log_path: Path):
        self.name = name
        self.command = command
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        try:
            self.process = subprocess.Popen(
                self.command,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self, grace: float = 15.0) -> None:
        process = self.process
        if process is None:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Orphans of the group (a worker whose master died first) go too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        self.process = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited; its log ends with:\n{self.log_tail()}")


class Gunicorn(ServerProcess):
    """gunicorn config.wsgi on 127.0.0.1:<port>, as in the Dockerfile (2 sync workers).

    sync is what production runs (Dockerfile, docker-compose.yml): one request per process,
    no GIL shared between requests, the fastest on 2 cores for short requests. It answers
    `Connection: close`, so each request opens a loopback TCP connection (~0.1 ms); the
    load generator reconnects transparently. `worker_class="gthread"` (with `threads`) keeps
    connections alive instead, to compare.
    """

    def __init__(
        self,
        *,
        port: int,
        env: dict[str, str],
        log_path: Path,
        workers: int = 2,
        worker_class: str = "sync",
        threads: int = 1,
    ) -> None:
        self.port = port
        self.workers = workers
        self.worker_class = worker_class
        self.threads = threads
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--bind",
            f"{LOOPBACK}:{port}",
            "--worker-tmp-dir",
            "/dev/shm",  # noqa: S108 - gunicorn's heartbeat files, as in the Dockerfile
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]
        if worker_class == "gthread":
            command += ["--threads", str(threads)]
        super().__init__("gunicorn", command, env=env, log_path=log_path)

    def __enter__(self) -> Gunicorn:
        super().__enter__()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                connection.close()
            time.sleep(0.2)
        raise RuntimeError(
            f"gunicorn did not answer /healthz within {timeout}s:\n{self.log_tail()}"
        )

    def describe(self) -> dict[str, Any]:
        return {
            "workers": self.workers,
            "worker_class": self.worker_class,
            "threads": self.threads if self.worker_class == "gthread" else 1,
            "bind": f"{LOOPBACK}:{self.port}",
        }


class CeleryWorker(ServerProcess):
    """`celery -A config worker` as `make worker` runs it (prefork, concurrency 2)."""

    def __init__(
        self, *, env: dict[str, str], log_path: Path, concurrency: int = 2, number: int = 0
    ) -> None:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-l",
            "warning",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"bench-{os.getpid()}-{number}@%h",  # several workers on one broker: distinct names
        ]
        super().__init__("celery worker", command, env=env, log_path=log_path)


# --- The load generator -----------------------------------------------------------------------


@dataclass
class Exchange:
    """One HTTP request and its answer (status 0: no answer, see `error`)."""

    label: str
    status: int
    seconds: float
    error: str = ""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float
    error: str = ""

    @property
    def ok(self) -> bool:
        """2xx or 3xx: what the benchmark counts as an accepted answer."""
        return 200 <= self.status < 400

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Client:
    """One simulated visitor's connection: http.client to 127.0.0.1, kept alive when the
    server allows it, with a cookie jar of name=value pairs sent back by hand — Secure and
    other attributes are ignored, which is what lets it talk to a DEBUG=0 server over
    http:// (see server_env)."""

    def __init__(self, port: int, *, number: int = 0, timeout: float = 30.0) -> None:
        self.port = port
        self.number = number
        self.origin = f"http://{LOOPBACK}:{port}"
        self.connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        self.exchanges: list[Exchange] = []
        self.closed_by_server = 0

    def clear_cookies(self) -> None:
        self.cookies.clear()

    def request(
        self,
        method: str,
        path: str,
        *,
        label: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        send_headers = {"User-Agent": "undersigned-bench", "Accept": "text/html"}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            send_headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method == "POST":
            send_headers["Origin"] = self.origin  # as a browser sends it on a form POST
        if self.cookies:
            send_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        send_headers.update(headers or {})
        start = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=send_headers)
            answer = self.connection.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            # Never retried: a POST whose answer was lost may still have been committed.
            self.connection.close()
            seconds = time.perf_counter() - start
            error = f"{type(exc).__name__}: {exc}"
            self.exchanges.append(Exchange(label, 0, seconds, error))
            return Response(0, {}, b"", seconds, error)
        seconds = time.perf_counter() - start
        if answer.will_close:
            self.closed_by_server += 1  # http.client reopens on the next request
        self._keep_cookies(answer.msg.get_all("Set-Cookie") or [])
        self.exchanges.append(Exchange(label, answer.status, seconds))
        return Response(
            answer.status, {k.lower(): v for k, v in answer.getheaders()}, data, seconds
        )

    def _keep_cookies(self, set_cookie_headers: list[str]) -> None:
        for header in set_cookie_headers:
            jar = SimpleCookie()
            try:
                jar.load(header)
            except CookieError:
                continue
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def close(self) -> None:
        self.connection.close()


CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token(html: bytes) -> str:
    """The token of the first form of a page (Django's {% csrf_token %})."""
    match = CSRF_INPUT.search(html)
    if match is None:
        raise ValueError("no csrfmiddlewaretoken in the page")
    return match.group(1).decode()


@dataclass
class LoadResult:
    """What `run_load` measured: every operation's outcome and every HTTP exchange."""

    name: str
    concurrency: int
    duration_target: float
    elapsed: float
    outcomes: list[Any]
    exchanges: list[Exchange]
    failures: list[str] = field(default_factory=list)
    closed_by_server: int = 0
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def operations(self) -> int:
        return len(self.outcomes)

    def rate(self, count: int) -> float:
        return count / self.elapsed if self.elapsed else 0.0

    def server_cpu_ms_per(self, count: int) -> float | None:
        """CPU milliseconds gunicorn, PostgreSQL and Redis spent per `count` (e.g. per
        success): unlike requests per second, barely moved by other load on the machine."""
        if not count or not self.cpu_seconds:
            return None
        return round(sum(self.cpu_seconds.get(p, 0.0) for p in SERVER_PARTS) * 1000 / count, 2)


def merge_results(name: str, results: list[LoadResult]) -> LoadResult:
    """The rounds of one scenario (interleaved with other scenarios) as one result."""
    cpu: Counter[str] = Counter()
    for result in results:
        cpu.update(result.cpu_seconds)
    return LoadResult(
        name=name,
        concurrency=results[0].concurrency,
        duration_target=sum(r.duration_target for r in results),
        elapsed=sum(r.elapsed for r in results),
        outcomes=[o for r in results for o in r.outcomes],
        exchanges=[e for r in results for e in r.exchanges],
        failures=[f for r in results for f in r.failures],
        closed_by_server=sum(r.closed_by_server for r in results),
        cpu_seconds=dict(cpu),
    )


def run_load(
    name: str,
    operation: Callable[[Client, int], Any],
    *,
    port: int,
    concurrency: int,
    duration: float,
    max_operations: int = 200_000,
    first_index: int = 0,
    cpu: CpuMeter | None = None,
) -> LoadResult:
    """`concurrency` threads, each with its own Client, run `operation(client, index)` in a
    loop until `duration` seconds have passed or `max_operations` were started. Indexes are
    unique across threads, from `first_index` on (give each run of a scenario its own range).
    An operation that raises is recorded as a failure, not retried.
    """
    counter = itertools.count(first_index)  # next() on it is atomic under the GIL
    last_index = first_index + max_operations
    deadline_box: list[float] = []
    start_line = threading.Barrier(concurrency + 1)
    outcomes: list[Any] = []
    failures: list[str] = []
    clients = [Client(port, number=i) for i in range(concurrency)]
    lock = threading.Lock()

    def worker(client: Client) -> None:
        start_line.wait()
        deadline = deadline_box[0]
        mine: list[Any] = []
        while time.perf_counter() < deadline:
            index = next(counter)
            if index >= last_index:
                break
            try:
                mine.append(operation(client, index))
            except Exception:  # a bug in an operation is reported, not fatal
                with lock:
                    failures.append(traceback.format_exc(limit=3))
        with lock:
            outcomes.extend(mine)

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    cpu_before = cpu.snapshot() if cpu else None
    started = time.perf_counter()
    deadline_box.append(started + duration)
    start_line.wait()
    # An operation is a few requests of at most 30 s each: this bounds the whole run.
    for thread in threads:
        thread.join(timeout=max(0.0, started + duration + 120 - time.perf_counter()))
    elapsed = time.perf_counter() - started
    cpu_seconds = cpu.seconds(cpu_before, cpu.snapshot()) if cpu else {}
    if any(thread.is_alive() for thread in threads):
        failures.append("load threads still running 120 s after the deadline")
    for client in clients:
        client.close()
    return LoadResult(
        name=name,
        concurrency=concurrency,
        duration_target=duration,
        elapsed=elapsed,
        outcomes=outcomes,
        exchanges=[e for c in clients for e in c.exchanges],
        failures=failures,
        closed_by_server=sum(c.closed_by_server for c in clients),
        cpu_seconds=cpu_seconds,
    )


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(0, math.ceil(q / 100 * len(sorted_values)) - 1)
    return sorted_values[rank]


def latency_summary(exchanges: list[Exchange], label: str | None = None) -> dict[str, Any]:
    """Count, status counts and latency percentiles (ms) of the exchanges with `label`."""
    chosen = [e for e in exchanges if label is None or e.label == label]
    seconds = sorted(e.seconds for e in chosen)

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 2)

    return {
        "count": len(chosen),
        "statuses": dict(sorted(Counter(str(e.status) for e in chosen).items())),
        "errors": sorted({e.error for e in chosen if e.error})[:5],
        "p50_ms": ms(percentile(seconds, 50)),
        "p95_ms": ms(percentile(seconds, 95)),
        "p99_ms": ms(percentile(seconds, 99)),
        "max_ms": ms(seconds[-1] if seconds else None),
        "mean_ms": ms(sum(seconds) / len(seconds) if seconds else None),
    }


# --- Where the CPU went -------------------------------------------------------------------------


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu_seconds() -> dict[int, tuple[int, str, float]]:
    """pid -> (process group, command line, user + system CPU seconds), from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = (
                Path(f"/proc/{entry}/cmdline")
                .read_bytes()
                .replace(b"\0", b" ")
                .decode(errors="replace")
            )
        except OSError:
            continue  # exited meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry)] = (
            int(fields[2]),
            cmdline,
            (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS,
        )
    return found


def _machine_cpu_seconds() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    busy = sum(values[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / _CLOCK_TICKS, idle / _CLOCK_TICKS


_POSTGRES_SERVER_PROCESSES = (
    "walwriter",
    "checkpointer",
    "background writer",
    "autovacuum launcher",
    "logical replication",
    "stats",
)


class CpuMeter:
    """CPU cores used during a phase by each part of the benchmark: the gunicorn process group,
    the PostgreSQL backends of the scratch database, Redis, this process (the load
    generator), and everything else on the machine (another session's tests would show here).
    """

    def __init__(self, *, server_group: int, database: str = BENCH_DATABASE) -> None:
        self.server_group = server_group
        self.database = database

    def _part(self, pid: int, group: int, cmdline: str) -> str:
        if group == self.server_group:
            return "gunicorn"
        if pid == os.getpid():
            return "load generator"
        if cmdline.startswith("postgres:") and f" {self.database} " in cmdline:
            return "postgres (bench)"
        if cmdline.startswith("postgres:") and any(
            w in cmdline for w in _POSTGRES_SERVER_PROCESSES
        ):
            return "postgres (server)"  # WAL writer, checkpointer...: shared, mostly ours here
        if cmdline.startswith("redis-server"):
            return "redis"
        return "other"

    def snapshot(self) -> dict[str, Any]:
        return {
            "time": time.perf_counter(),
            "machine": _machine_cpu_seconds(),
            "processes": _process_cpu_seconds(),
        }

    def seconds(self, before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
        """CPU seconds per part between two snapshots, with "elapsed" (wall) and "idle" (a
        process that started or ended in between counts from or until then)."""
        used: Counter[str] = Counter()
        for pid, (group, cmdline, seconds) in after["processes"].items():
            previous = before["processes"].get(pid)
            spent = seconds - (previous[2] if previous and previous[1] == cmdline else 0.0)
            used[self._part(pid, group, cmdline)] += max(spent, 0.0)
        busy = after["machine"][0] - before["machine"][0]
        named = sum(v for k, v in used.items() if k != "other")
        result = {k: used[k] for k in sorted(used) if k != "other"}
        # "other" from the machine's own count: kernel threads and short-lived processes too.
        result["other"] = max(busy - named, 0.0)
        result["idle"] = after["machine"][1] - before["machine"][1]
        result["elapsed"] = after["time"] - before["time"]
        return result


def cpu_cores(seconds: dict[str, float]) -> dict[str, float]:
    """CPU seconds per part (CpuMeter.seconds, possibly summed) as average cores busy."""
    elapsed = seconds.get("elapsed") or 1.0
    return {k: round(v / elapsed, 2) for k, v in seconds.items() if k != "elapsed"}


# The processes that serve a request: what "server CPU per request" adds up.
SERVER_PARTS = ("gunicorn", "postgres (bench)", "postgres (server)", "redis")


# --- The report ---------------------------------------------------------------------------------


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def machine_and_versions(redis_url: str = BENCH_REDIS_URL) -> dict[str, Any]:
    """What a figure depends on: CPUs, and the versions of everything in the request path."""
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": _version("django"),
        "gunicorn": _version("gunicorn"),
        "psycopg2": _version("psycopg2-binary"),
        "celery": _version("celery"),
        "redis_py": _version("redis"),
    }
    with contextlib.suppress(Exception):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
    with contextlib.suppress(Exception):
        import redis

        info["redis"] = redis.Redis.from_url(redis_url).info("server")["redis_version"]
    with contextlib.suppress(Exception):
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        info["commit"] = commit + ("+dirty" if dirty else "")
    # A run from an exported tree (no .git) says which commit it was exported from.
    info["commit"] = os.environ.get("BENCH_COMMIT") or info.get("commit", "-")
    return info


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[("-" if v is None else str(v)) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def write_results(name: str, data: dict[str, Any]) -> Path:
    """bench/results/<name>-<UTC time>.json (the folder is git-ignored)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps(data, indent=2, default=_json_default) + "\n")
    return path


def _json_default(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def results_path(name: str, suffix: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return RESULTS_DIR / f"{name}-{stamp}{suffix}"
