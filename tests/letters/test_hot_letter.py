"""A hot letter (issue 16, goal 5): visitors' submissions take the letter's row FOR SHARE, so
two of them on one letter do not wait for each other, while a change of the letter's state
(closing it) still waits for a submission in flight, and none is written after it. Each side
on its own database connection; PostgreSQL only (SQLite has no row locks)."""

import threading
import time

import pytest
from django.db import connection, transaction

from letters import services
from letters.models import Letter, Signature
from tests.conftest import skip_or_fail, wait_for
from tests.letters.signing_helpers import open_mode_letter, sign

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# What sign_letter takes for a visitor's submission (letters.services.signatures).
SHARE_LOCKED_LETTER = 'SELECT * FROM "letters_letter" WHERE "id" = %s FOR SHARE'


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        skip_or_fail(f"row locks need PostgreSQL (DATABASE_URL); this run uses {connection.vendor}")


class InFlight:
    """Another visitor's submission, mid-transaction: the letter held FOR SHARE, as
    sign_letter holds it, until released."""

    def __init__(self, letter: Letter) -> None:
        self.holding = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(letter.pk,))

    def _run(self, pk: int) -> None:
        try:
            with transaction.atomic():
                list(Letter.objects.raw(SHARE_LOCKED_LETTER, [pk]))  # noqa: S611
                self.holding.set()
                self.release.wait(15)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.holding.wait(10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(15)


def _someone_waits_for_a_row_lock() -> bool:
    """Another connection of this test is blocked on a lock (PostgreSQL's own view of it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _in_thread(work) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        started = time.monotonic()
        try:
            outcome["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome["error"] = exc
        finally:
            outcome["seconds"] = time.monotonic() - started
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_visitors_submission_does_not_wait_for_another_on_the_same_letter(make_letter):
    letter = open_mode_letter(make_letter)

    with InFlight(letter):
        thread, outcome = _in_thread(lambda: sign(letter, new_name="Second Visitor Org"))
        thread.join(10)  # it returns at once; were it blocked, it would still be waiting here
        finished_while_held = not thread.is_alive() and not _someone_waits_for_a_row_lock()
    thread.join(15)

    assert finished_while_held, "the submission waited for the other one's transaction"
    assert isinstance(outcome.get("result"), Signature), outcome
    assert outcome["seconds"] < 5


def test_closing_waits_for_a_submission_in_flight_and_none_comes_after(make_letter, owner):
    letter = open_mode_letter(make_letter)

    with InFlight(letter) as submission:
        closing, closed = _in_thread(lambda: services.close_letter(letter=letter, actor=owner))
        wait_for(_someone_waits_for_a_row_lock, timeout=10, message="closing to wait")
        waited = closing.is_alive()
        submission.release.set()
        closing.join(15)

    assert waited, "the letter closed while a signature was being written to it"
    assert "error" not in closed, closed
    letter.refresh_from_db()
    assert letter.status == Letter.Status.CLOSED
    thread, late = _in_thread(lambda: sign(letter, new_name="Too Late Org"))
    thread.join(15)
    assert "not collecting" in str(late.get("error")), late


def test_a_member_or_an_invitee_still_takes_the_letter_alone(make_letter, organisation):
    """Their submission may confirm at once and change the letter's list (and its row):
    two of those holding the row shared would deadlock on that update."""
    from tests.factories import MembershipFactory

    letter = open_mode_letter(make_letter)
    member = MembershipFactory(organisation=organisation).user

    with InFlight(letter):
        thread, outcome = _in_thread(
            lambda: sign(letter, organisation=organisation, signer_email=member.email, user=member)
        )
        wait_for(_someone_waits_for_a_row_lock, timeout=10, message="the member to wait")
        waited = thread.is_alive()
    thread.join(15)

    assert waited
    assert isinstance(outcome.get("result"), Signature), outcome
