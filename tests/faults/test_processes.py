"""The stack keeps working when its parts fail (issue 13), with real processes: gunicorn (two
sync workers), a Celery worker (prefork) and beat, PostgreSQL, a Redis of the test's own, an
SMTP server. Each test is bounded in time; the processes' logs are printed when one fails.
"""

import datetime as dt
import http.cookiejar
import re
import signal
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.utils import timezone

from tests.conftest import wait_for
from tests.faults.conftest import reset_producers as _reset_producers

pytestmark = [
    pytest.mark.processes,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# A request never takes longer than this, whatever Redis does (the bound).
REQUEST_BUDGET = 3.0


# --- A visitor's browser, without a browser ---------------------------------------------------


class Visitor:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect(),
        )
        self.timings: list[tuple[str, int, float]] = []

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, method=method)
        if body is not None:
            request.add_header("Referer", self.base + path)
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=15) as response:
                status, text = response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        self.timings.append((f"{method} {path}", status, time.monotonic() - started))
        return status, text

    def sign(self, slug: str, n: int) -> int:
        path = f"/letters/{slug}/sign/"
        status, page = self.request("GET", path)
        assert status == 200, (status, page[:500])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _ = self.request(
            "POST",
            path,
            {
                "csrfmiddlewaretoken": token,
                "organisation_name": f"Fault Test Organisation {n}",
                "based_in": "Dharamsala",
                "signer_name": f"Signer {n}",
                "signer_title": "Director",
                "signer_email": f"signer{n}@faults.example.org",
                "visibility": "public",
                "consent": "on",
                "website": "",
            },
        )
        return status

    def slowest(self) -> tuple[str, int, float]:
        return max(self.timings, key=lambda timing: timing[2])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp

    http_error_303 = http_error_302


@pytest.fixture
def open_letter(coordinator):
    from letters import services

    letter = services.create_letter(
        author=coordinator,
        title="Release the detained publishers",
        body="We, the undersigned organisations, call for their release.",
        recipient="The Secretary for Security",
        summary="A call for release.",
        deadline=timezone.now() + dt.timedelta(days=14),
        sign_on_mode="open",
    )
    return services.open_letter(letter=letter, actor=coordinator)


def _confirmations(sink) -> list[str]:
    return [m["To"] for m in sink.messages]


def _expect_each_once(sink, addresses: list[str], timeout: float) -> float:
    """Waits until every address got its email; returns the time it took. Fails on a second
    copy of any message."""
    started = time.monotonic()
    wait_for(
        lambda: all(address in _confirmations(sink) for address in addresses),
        timeout=timeout,
        interval=0.2,
        message=f"not delivered within {timeout}s: "
        f"{sorted(set(addresses) - set(_confirmations(sink)))}",
    )
    elapsed = time.monotonic() - started
    duplicates = {mid: n for mid, n in sink.counts().items() if n > 1}
    assert not duplicates, f"sent more than once: {duplicates}"
    return elapsed


# --- 1. Redis killed, then hung, while people sign ------------------------------------------


def test_signing_goes_on_while_redis_is_killed_or_hung_and_mail_follows_once(stack, open_letter):
    stack.worker()
    stack.beat()
    _, base = stack.web()
    visitor = Visitor(base)
    slug = open_letter.slug
    signed: list[str] = []

    def sign(n: int) -> None:
        status = visitor.sign(slug, n)
        assert status == 302, f"sign {n}: {status}"
        signed.append(f"signer{n}@faults.example.org")

    sign(1)
    _expect_each_once(stack.smtp, signed, timeout=30)

    # Killed: every page still answers, signatures are taken.
    stack.redis.kill()
    for n in (2, 3, 4):
        sign(n)
    for path in (f"/letters/{slug}/", f"/letters/{slug}/sign/", "/accounts/login/", "/"):
        status, _ = visitor.request("GET", path)
        assert status == 200, (path, status)
    status, text = visitor.request("GET", "/healthz")
    assert status == 200
    assert '"degraded": ["cache", "broker"]' in text, text

    # Back: the mail of the outage goes out, once each, within a minute.
    stack.redis.start()
    recovered_in = _expect_each_once(stack.smtp, signed, timeout=60)

    # Hung: accepts connections, answers nothing.
    stack.redis.hang()
    try:
        for n in (5, 6):
            sign(n)
        status, _ = visitor.request("GET", f"/letters/{slug}/")
        assert status == 200
    finally:
        stack.redis.resume()
    _expect_each_once(stack.smtp, signed, timeout=60)

    where, status, seconds = visitor.slowest()
    assert all(status < 500 for _, status, _ in visitor.timings), visitor.timings
    assert seconds <= REQUEST_BUDGET, f"{where} took {seconds:.2f}s"
    print(
        f"slowest request {where}: {seconds:.3f}s; outage mail delivered {recovered_in:.1f}s "
        "after Redis came back"
    )


# --- 2. The worker killed in the middle of a fan-out ----------------------------------------


def _fan_out(count: int, batch: str) -> list[str]:
    from django.db import transaction

    from outbox import services as outbox

    addresses = [f"reader{n}@{batch}.example.org" for n in range(count)]
    with transaction.atomic():
        outbox.queue_emails(
            outbox.EmailSpec(
                kind="signature_withdrawn",
                to=address,
                context={
                    "signature": {"signer_name": "Pema"},
                    "organisation_name": "Tibetan Women's Association",
                    "letter": {"title": "Raise human rights in Beijing"},
                    "letter_url": "https://undersigned.example.org/letters/x/",
                },
                dedupe_key=f"{batch}:{address}",
                batch=batch,
            )
            for address in addresses
        )
    return addresses


@pytest.fixture
def publish_to(stack, settings):
    """The test process publishes to the stack's broker, as the web process does."""
    from config.celery import app
    from core import cache as core_cache

    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=stack.redis.url)
    _reset_producers(app)
    core_cache.breaker.reset()
    yield
    app.conf.update(saved)
    _reset_producers(app)
    core_cache.breaker.reset()


def test_a_worker_killed_mid_fan_out_delivers_everything_within_a_minute_of_its_restart(
    stack, publish_to
):
    stack.smtp.delay = 0.02
    worker = stack.worker()
    stack.beat()
    addresses = _fan_out(300, "killed")
    wait_for(
        lambda: len(stack.smtp.messages) >= 40, timeout=30, message="the fan-out did not start"
    )
    worker.kill(signal.SIGKILL)
    before = len(set(stack.smtp.message_ids()))
    time.sleep(2)
    stack.worker()
    restarted = time.monotonic()
    wait_for(
        lambda: set(_confirmations(stack.smtp)) >= set(addresses),
        timeout=60,
        interval=0.2,
        message="not all delivered within a minute of the restart",
    )
    elapsed = time.monotonic() - restarted
    duplicates = sum(n - 1 for n in stack.smtp.counts().values() if n > 1)
    # The one window left (DESIGN.md §6, README "When something fails"): a message the SMTP
    # server accepted just before the kill, whose row was not yet marked sent. At most one
    # per process killed mid-send (two here), and with the same Message-ID.
    assert duplicates <= 2, stack.smtp.counts().most_common(3)
    print(
        f"{before} sent before the kill; all 300 within {elapsed:.1f}s of the restart; "
        f"{duplicates} duplicate(s)"
    )


# --- 3. Redis lost five times under a fan-out ------------------------------------------------


def test_redis_lost_five_times_under_a_fan_out_leaves_the_worker_alive_and_sends_each_once(
    stack, publish_to
):
    stack.smtp.delay = 0.02
    worker = stack.worker()
    stack.beat()
    addresses = _fan_out(400, "lost")
    wait_for(
        lambda: len(stack.smtp.messages) >= 20, timeout=30, message="the fan-out did not start"
    )
    for _ in range(5):
        stack.redis.kill()
        time.sleep(1.5)
        stack.redis.start()
        time.sleep(2.0)
        assert worker.alive(), worker.output()[-3000:]
    _expect_each_once(stack.smtp, addresses, timeout=90)
    assert worker.alive(), worker.output()[-3000:]
    assert "Unrecoverable error" not in worker.output()


# --- 4. Uncached PDFs do not hold the site --------------------------------------------------


def test_two_uncached_pdfs_do_not_hold_up_the_letter_page(stack, open_letter):
    """Two sync gunicorn workers, two visitors asking for a PDF nobody has rendered yet, and a
    third visitor reading the letter: no request waits on WeasyPrint (issue 13)."""
    from concurrent.futures import ThreadPoolExecutor

    stack.worker()
    _, base = stack.web()
    slug = open_letter.slug

    def get(path: str) -> tuple[int, float]:
        visitor = Visitor(base)
        status, _ = visitor.request("GET", path)
        return status, visitor.timings[-1][2]

    with ThreadPoolExecutor(max_workers=3) as pool:
        pdfs = [pool.submit(get, f"/letters/{slug}/letter.pdf") for _ in range(2)]
        page = pool.submit(get, f"/letters/{slug}/")
        page_status, page_seconds = page.result(timeout=30)
        pdf_results = [future.result(timeout=30) for future in pdfs]
    # No request renders: a PDF nobody has rendered is answered "being prepared" (503, Retry-After)
    # at once, and the worker renders it. Rendered in the request, both would be 200s. The time
    # bound is the stack's liveness budget, not a performance figure (that is bench/'s job):
    # under CI's load a page can take more than a second without anything being held.
    assert page_status == 200
    assert page_seconds <= REQUEST_BUDGET, page_seconds
    statuses = sorted(status for status, _ in pdf_results)
    assert statuses[0] == 503, statuses
    assert set(statuses) <= {200, 503}, statuses  # the stored PDF, or "being prepared"
    assert all(seconds <= REQUEST_BUDGET for _, seconds in pdf_results), pdf_results
    # The worker renders it: it is served shortly after.
    wait_for(lambda: get(f"/letters/{slug}/letter.pdf")[0] == 200, timeout=60, interval=1)
