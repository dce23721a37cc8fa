"""Fault injection with real processes (issue 13): a Redis server of the test's own (killed,
hung with SIGSTOP, restarted), a Celery worker and beat, gunicorn, all started and stopped by
the tests, against the test's PostgreSQL database and an aiosmtpd server.

Every process is bounded: started with a deadline, stopped (then killed) at the end of its
test, its log kept in the test's tmp_path and shown when the test fails.
"""

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import SMTPSink, _free_port, _start_smtp_server, skip_or_fail, wait_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def pytest_collection_modifyitems(config, items):
    """The fault tests run one after the other on one xdist worker: each starts several
    processes, and two of them at once on two cores would measure each other."""
    for item in items:
        if (
            "tests/faults/" in str(item.fspath).replace(os.sep, "/")
            and "processes" in item.keywords
        ):
            item.add_marker(pytest.mark.xdist_group("faults"))


def reset_producers(app) -> None:
    """The app keeps its connection and producer pools for the broker it first used; a test
    that gives it another broker drops them."""
    app._pool = None
    app.amqp._producer_pool = None


class RedisServer:
    """redis-server on a free port, nothing kept on disk."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            skip_or_fail("redis-server is not installed")
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = workdir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(self.log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2, socket_timeout=0.2)
        wait_for(lambda: _pings(client), timeout=10, message="redis-server did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def hang(self) -> None:
        """Alive, accepting connections, answering nothing (a stopped process)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.kill()


def _pings(client) -> bool:
    import redis

    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class SlowSink(SMTPSink):
    """An SMTP server that takes `delay` seconds per message, so that a fan-out lasts long
    enough to be interrupted."""

    delay = 0.0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)

    def counts(self) -> Counter:
        return Counter(self.message_ids())


@pytest.fixture
def slow_smtp():
    sink, controller = _start_smtp_server(sink_class=SlowSink)
    try:
        yield sink
    finally:
        controller.stop()


class Service:
    """A process of the stack (worker, beat, gunicorn) with the test's environment."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> "Service":
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a kill takes its children
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.kill(signal.SIGTERM)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def stack(tmp_path, transactional_db, django_db_serialized_rollback, redis_server, slow_smtp):
    """Starts worker, beat and gunicorn against the test's database, the test's Redis and the
    slow SMTP server; stops them at the end and prints their logs on failure."""
    from django.db import connection

    if connection.vendor != "postgresql":
        skip_or_fail("the fault tests need PostgreSQL (DATABASE_URL): SQLite has no server")
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "REDIS_URL": redis_server.url,
        "EMAIL_URL": f"smtp://{slow_smtp.host}:{slow_smtp.port}",
        "DEBUG": "1",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "tests-only-not-secret"),
        "OUTBOX_SWEEP_SECONDS": "2",
        # A lost email is sent again after 5 s rather than 30: the same path, sooner, and a
        # harder test of "never twice" (a merely slow task's row is swept more often).
        "OUTBOX_LOST_AFTER_SECONDS": "5",
        "PYTHONUNBUFFERED": "1",
    }
    services: list[Service] = []

    class Stack:
        redis = redis_server
        smtp = slow_smtp

        def worker(self, concurrency: int = 2) -> Service:
            service = Service(
                "worker",
                [
                    str(BIN / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    str(concurrency),
                    "--loglevel",
                    "INFO",
                    "--without-mingle",
                    "--without-gossip",
                    "--hostname",
                    f"faults-{len(services)}@%h",
                ],
                env,
                tmp_path / "worker.log",
            ).start()
            services.append(service)
            wait_for(
                lambda: "ready." in service.output() or not service.alive(),
                timeout=60,
                message="the worker did not start",
            )
            assert service.alive(), service.output()[-3000:]
            return service

        def beat(self) -> Service:
            service = Service(
                "beat",
                [
                    str(BIN / "celery"),
                    "-A",
                    "config",
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(tmp_path / "beat-schedule"),
                ],
                env,
                tmp_path / "beat.log",
            ).start()
            services.append(service)
            return service

        def web(self) -> tuple[Service, str]:
            port = _free_port()
            service = Service(
                "gunicorn",
                [
                    str(BIN / "gunicorn"),
                    "config.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--timeout",
                    "30",
                    "--graceful-timeout",
                    "5",
                ],
                env,
                tmp_path / "gunicorn.log",
            ).start()
            services.append(service)
            url = f"http://127.0.0.1:{port}"
            wait_for(
                lambda: _answers(f"{url}/healthz"), timeout=60, message="gunicorn did not answer"
            )
            return service, url

    try:
        yield Stack()
    finally:
        for service in reversed(services):
            service.stop()
        for service in services:
            print(f"----- {service.name} log (tail) -----\n{service.output()[-4000:]}")


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def deadline_loop(seconds: float):
    """for _ in deadline_loop(30): ...; yields until the time is up."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        yield
