"""Twenty people submit, or confirm, a signature for the same organisation at the same moment,
each on its own database connection. Submissions all succeed (an unconfirmed one holds no
place: issue 11); of the confirmations exactly one is counted, every other ends a duplicate,
and nothing else goes wrong. Meaningful on PostgreSQL only (SQLite serialises every
write), so it runs there; CI (REQUIRE_SERVICES=1, DATABASE_URL set) fails rather than skip."""

import threading

import pytest
from django.db import connection

from core.errors import NotAllowed
from letters import services
from letters.models import Invitation, Letter, Signature
from organisations.models import Organisation
from outbox.models import OutboundEmail
from tests.conftest import skip_or_fail
from tests.letters.signing_helpers import open_mode_letter, sign

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

THREADS = 20


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        skip_or_fail(
            f"the concurrency tests need PostgreSQL (DATABASE_URL); this run uses {connection.vendor}"
        )


def _race(submit) -> list[object]:
    """Run `submit(n)` in THREADS threads released at once; each result or exception."""
    start = threading.Barrier(THREADS, timeout=30)
    results: list[object] = [None] * THREADS

    def run(n: int) -> None:
        try:
            start.wait()
            results[n] = submit(n)
        except BaseException as exc:  # noqa: BLE001 - every outcome is what the test inspects
            results[n] = exc
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a submission hung"
    return results


def _outcomes(results) -> tuple[list[Signature], list[services.AlreadySigned], list[object]]:
    signed = [r for r in results if isinstance(r, Signature)]
    refused = [r for r in results if isinstance(r, services.AlreadySigned)]
    other = [r for r in results if not isinstance(r, Signature | services.AlreadySigned)]
    return signed, refused, other


def test_simultaneous_confirmations_for_one_organisation_count_exactly_one(
    make_letter, organisation
):
    # Given an open letter, and twenty people who asked to sign for one organisation
    letter = open_mode_letter(make_letter)
    submitted = _race(
        lambda n: sign(
            letter,
            organisation=organisation,
            signer_name=f"Signer {n}",
            signer_email=f"signer{n}@tibetaction.example.net",
        )
    )
    signed, refused, other = _outcomes(submitted)
    assert (len(signed), refused, other) == (THREADS, [], [])  # nobody was told anything
    assert OutboundEmail.objects.filter(kind="signature_confirm").count() == THREADS

    # When all twenty confirm at the same moment
    results = _race(lambda n: services.confirm_signature(signature=signed[n]))

    # Then exactly one is counted, every other is a duplicate, nothing else fails
    confirmed, refused, other = _outcomes(results)
    assert (len(confirmed), refused, other) == (THREADS, [], [])
    states = sorted(s.status for s in confirmed)
    assert states.count(Signature.Status.PENDING_REVIEW) == 1
    assert states.count(Signature.Status.DUPLICATE) == THREADS - 1
    assert Signature.objects.filter(letter=letter, status__in=Signature.COUNTED).count() == 1


def test_simultaneous_confirmations_of_one_new_organisation_create_it_once(make_letter):
    # Given an open letter, and an organisation nobody has registered yet, proposed by twenty
    # people spelling it slightly differently
    letter = open_mode_letter(make_letter)
    organisations_before = Organisation.objects.count()
    spellings = [
        "Tibetan Women's Association",
        "tibetan womens association",
        "Tibetan-Women's Association",
    ]
    submitted = _race(
        lambda n: sign(
            letter,
            new_name=spellings[n % len(spellings)],
            signer_email=f"signer{n}@twa.example.net",
        )
    )
    signed, _refused, _other = _outcomes(submitted)
    assert len(signed) == THREADS
    assert Organisation.objects.count() == organisations_before  # a proposal creates nothing

    # When they all confirm at the same moment
    results = _race(lambda n: services.confirm_signature(signature=signed[n]))

    # Then one organisation exists, with one counted signature; the others are duplicates
    confirmed, refused, other = _outcomes(results)
    assert (len(confirmed), refused, other) == (THREADS, [], [])
    assert Organisation.objects.count() == organisations_before + 1
    assert Signature.objects.filter(status__in=Signature.COUNTED).count() == 1
    assert Signature.objects.filter(status=Signature.Status.DUPLICATE).count() == THREADS - 1


def test_simultaneous_submissions_for_different_organisations_all_succeed(make_letter):
    # Given an open letter
    letter = open_mode_letter(make_letter)

    # When twenty organisations sign at the same moment
    results = _race(
        lambda n: sign(letter, new_name=f"Organisation {n}", signer_email=f"s{n}@example.org")
    )

    # Then none is lost and none is duplicated, and each signer gets one email
    signed, refused, other = _outcomes(results)
    assert (other, refused) == ([], [])
    assert len(signed) == THREADS
    assert Signature.objects.filter(letter=letter, status__in=Signature.LIVE).count() == THREADS
    assert sorted(OutboundEmail.objects.values_list("to", flat=True)) == sorted(
        f"s{n}@example.org" for n in range(THREADS)
    )


def test_one_invitation_used_by_many_at_once_signs_once(make_letter, owner, organisation):
    # Given an invitation-only letter and one invitation link, forwarded around
    letter = make_letter(Letter.Status.OPEN)
    invitation = services.invite(
        letter=letter, actor=owner, email="info@tibetaction.example.net", organisation=organisation
    )

    # When twenty people use it at the same moment
    results = _race(
        lambda n: sign(
            letter,
            organisation=organisation,
            invitation=invitation,
            signer_email=f"s{n}@tibetaction.example.net",
        )
    )

    # Then it signs once; everyone else is told the link no longer works; nothing else fails
    signed = [r for r in results if isinstance(r, Signature)]
    refused = [r for r in results if isinstance(r, NotAllowed)]
    assert (len(signed), len(refused)) == (1, THREADS - 1), results
    assert Signature.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert OutboundEmail.objects.filter(kind="signature_confirm").count() == 1
