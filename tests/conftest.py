"""Shared fixtures: users per role, a real SMTP server (aiosmtpd), a real Celery worker.

Tests that need Redis or the worker skip with a reason when the service is absent; with
REQUIRE_SERVICES=1 (set by CI) that skip becomes a failure, so CI cannot pass without them.
"""

import errno
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    make_coordinator,
    make_moderator,
)


def skip_or_fail(reason: str) -> None:
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    """With pytest-xdist (`make test`: --dist loadgroup), the browser tests go to one worker
    together: each worker would otherwise start its own chromium and live server (both
    session-wide), two browsers on two cores. Nothing else has to share a worker: each has
    its own database, cache, media folder, SMTP port and Celery queue."""
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(autouse=True)
def joinable_results():
    """Celery keeps, per process, whether this thread is inside a task (and so must not wait
    on a result): a worker started in this process (the celery_worker fixture) sets it from its
    pool and may leave it set, and a later eager `.delay().get()` then raises "Never call
    result.get() within a task!" depending on which tests ran before on this xdist worker."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def site_language():
    """Every test starts in the site's language. A request activates its reader's language in
    the thread that serves it (core.locale.LanguageMiddleware), and the test client serves in
    the test's own thread: without this, a test after one that asked for a page in Tibetan
    would read Tibetan error messages from the services it calls."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Every test has a cache of its own, empty: the only fresh-cache fixture of the suite.

    Rate-limit counters, allauth's used TOTP codes, the cached letter pages and lists live in
    the cache and must not leak from one test into the next. A private local-memory cache
    even when REDIS_URL is set: clearing a shared Redis would also empty Celery's broker, and
    the Redis database is shared with a developer's worker and with other runs (and xdist
    workers). The live server of the browser tests runs in the test's process, so it sees
    the same cache."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4().hex}",
        }
    }
    # Nor does a Redis outage (core.cache's breaker, per process) outlive its test.
    from core.cache import breaker

    breaker.open_until, breaker.failures = 0.0, 0


@pytest.fixture(autouse=True)
def _media_and_eager_tasks(settings, tmp_path):
    """Uploads go to a temporary folder; Celery runs tasks in-process unless a test asks for
    the real worker (celery_worker fixture)."""
    from config.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    # Hashing cost is not under test; a deliberate slow hash would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


# --- Roles -----------------------------------------------------------------------------------


@pytest.fixture
def signer(db):
    membership = MembershipFactory(user=UserFactory(email="signer@ngo.example.org"))
    return membership.user


@pytest.fixture
def org_admin(db):
    membership = MembershipFactory(user=UserFactory(email="orgadmin@ngo.example.org"), role="admin")
    return membership.user


@pytest.fixture
def coordinator(db):
    return make_coordinator(email="coordinator@lead.example.org")


@pytest.fixture
def moderator(db):
    return make_moderator(email="moderator@undersigned.example.org")


@pytest.fixture
def superuser(db):
    from tests.factories import enrol_totp

    user = UserFactory(email="root@undersigned.example.org", is_staff=True, is_superuser=True)
    enrol_totp(user)
    return user


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="Tibet Action Institute", slug="tibet-action-institute")


# --- A real SMTP server ----------------------------------------------------------------------


@dataclass
class SMTPSink:
    """Records every message it accepts. `replies` scripts failures: each DATA command pops
    the next reply (e.g. "451 4.3.0 Try again later") until the list is empty."""

    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    refused: int = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        if self.replies:
            self.refused += 1
            return self.replies.pop(0)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in (m["To"] or "")]


def wait_for(predicate, *, timeout: float = 20.0, interval: float = 0.05, message: str = ""):
    """Poll `predicate` until it returns something truthy (a worker's result), or fail."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message or predicate}")
        time.sleep(interval)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_smtp_server(
    *, attempts: int = 5, sink_class: type[SMTPSink] = SMTPSink
) -> tuple[SMTPSink, Controller]:
    """aiosmtpd cannot listen on port 0, so a free port is found first; another process (an
    xdist worker, a client's outgoing connection) may take it before the server binds it,
    and then another port is tried."""
    for attempt in range(attempts):
        sink = sink_class(host="127.0.0.1", port=_free_port())
        controller = Controller(sink, hostname=sink.host, port=sink.port)
        try:
            controller.start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or attempt == attempts - 1:
                raise
            controller.stop(no_assert=True)
        else:
            return sink, controller
    raise AssertionError("unreachable")


@pytest.fixture
def smtp_server(settings):
    """An aiosmtpd server on a free port; the outbox's SMTP backend (production's) pointed at it."""
    sink, controller = _start_smtp_server()
    settings.MAILERS = {
        "default": {
            "BACKEND": "outbox.backends.SmtpBackend",
            "OPTIONS": {"host": sink.host, "port": sink.port, "timeout": 5},
        }
    }
    try:
        yield sink
    finally:
        controller.stop()


# --- Redis and a real Celery worker ----------------------------------------------------------


@pytest.fixture
def redis_url():
    import redis

    url = os.environ.get("REDIS_URL", "")
    if not url:
        skip_or_fail("REDIS_URL is not set, so there is no Redis to test against")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        skip_or_fail(f"Redis at {url} does not answer: {exc}")
    return url


@pytest.fixture
def celery_worker(redis_url, django_db_serialized_rollback, transactional_db):
    """A real Celery worker (threads, in this process) consuming from Redis.

    It publishes to and consumes from a queue of its own, and no other: a developer's worker
    on the same Redis cannot take the test's tasks, the test's worker takes none of theirs nor
    of another xdist worker's, and a retry an earlier test left queued (put back when its
    worker stopped) does not run in a later test. Tests using it need committed data: the
    worker has its own connection.
    A transactional test ends by emptying every table, data migrations' rows included (the
    role groups); serialized rollback puts those rows back for the next test.
    """
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    queue = f"test-{uuid.uuid4().hex}"
    saved = {
        key: app.conf[key]
        for key in ("task_always_eager", "broker_url", "result_backend", "task_default_queue")
    }
    app.conf.update(
        task_always_eager=False,
        broker_url=redis_url,
        result_backend=redis_url,
        task_default_queue=queue,
    )
    with start_worker(
        app,
        queues=[queue],
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as worker:
        yield worker
    app.conf.update(saved)
