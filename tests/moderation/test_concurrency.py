"""Two moderators decide the same signatures at the same moment, each on its own database
connection: every signature is decided once, by one of them; the other is told it was
already decided; one audit event and one email per signature. Meaningful on PostgreSQL only
(SQLite serialises every write); CI (REQUIRE_SERVICES=1) fails rather than skip."""

import threading

import pytest
from django.db import connection

from audit.models import AuditEvent
from letters import services
from letters.models import Signature
from outbox.models import OutboundEmail
from tests.conftest import skip_or_fail
from tests.factories import make_coordinator, make_moderator

from .conftest import bulk_pending, make_open_letter

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SIGNATURES = 50


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        skip_or_fail(
            f"the concurrency tests need PostgreSQL (DATABASE_URL); this run uses {connection.vendor}"
        )


def _race(*calls) -> list[object]:
    """Run each call in its own thread, released at once; each result or exception."""
    start = threading.Barrier(len(calls), timeout=30)
    results: list[object] = [None] * len(calls)

    def run(n: int) -> None:
        try:
            start.wait()
            results[n] = calls[n]()
        except BaseException as exc:  # noqa: BLE001 - every outcome is what the test inspects
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a decision hung"
    return results


@pytest.fixture
def scene(db):
    first = make_moderator(email="first@undersigned.example.org", is_staff=True)
    second = make_moderator(email="second@undersigned.example.org", is_staff=True)
    letter = make_open_letter(make_coordinator(email="owner@lead.example.org"))
    return first, second, bulk_pending(letter, SIGNATURES)


def test_an_approval_and_a_rejection_at_once_apply_once(scene):
    first, second, ids = scene

    # When one moderator approves all and the other rejects all, at the same moment
    approved, rejected = _race(
        lambda: services.decide_signatures(signature_ids=ids, moderator=first, approve=True),
        lambda: services.decide_signatures(
            signature_ids=list(reversed(ids)),
            moderator=second,
            approve=False,
            reason=Signature.RejectionReason.SPAM,
        ),
    )

    # Then neither failed; each signature was decided by exactly one of them
    assert isinstance(approved, services.Decisions), approved
    assert isinstance(rejected, services.Decisions), rejected
    decided = {s.pk for s in approved.decided} | {s.pk for s in rejected.decided}
    assert sorted(decided) == ids
    assert len(approved.decided) + len(rejected.decided) == SIGNATURES
    # the one who came second was told, for each signature, that it was already decided
    loser = approved if not approved.decided else rejected
    assert len(loser.skipped) == SIGNATURES - len(loser.decided)
    assert all("Already decided by someone else" in why for _pk, why in loser.skipped)
    # and the database agrees with what each was told
    rows = dict(Signature.objects.filter(pk__in=ids).values_list("pk", "decided_by"))
    for signature in approved.decided:
        assert rows[signature.pk] == first.pk
    for signature in rejected.decided:
        assert rows[signature.pk] == second.pk
    # one audit event and one email per signature
    assert (
        AuditEvent.objects.filter(
            target_id__in=ids, action__in=["signature.approved", "signature.rejected"]
        ).count()
        == SIGNATURES
    )
    assert (
        OutboundEmail.objects.filter(kind__in=["signature_approved", "signature_rejected"]).count()
        == SIGNATURES
    )


def test_the_same_approval_twice_at_once_is_applied_once(scene):
    first, second, ids = scene

    results = _race(
        lambda: services.decide_signatures(signature_ids=ids, moderator=first, approve=True),
        lambda: services.decide_signatures(signature_ids=ids, moderator=second, approve=True),
    )

    assert all(isinstance(r, services.Decisions) for r in results), results
    assert sorted(len(r.decided) for r in results) == [0, SIGNATURES]
    assert sorted(len(r.skipped) for r in results) == [0, SIGNATURES]
    assert Signature.objects.filter(pk__in=ids, status="approved").count() == SIGNATURES
    assert AuditEvent.objects.filter(action="signature.approved").count() == SIGNATURES
    assert OutboundEmail.objects.filter(kind="signature_approved").count() == SIGNATURES
