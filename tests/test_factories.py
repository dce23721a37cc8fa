"""The factories build rows the application would have written: a signature in each state
carries the timestamps the services set on the way there, on its letter's current version."""

import pytest

from letters.models import Signature
from tests.factories import SignatureFactory

pytestmark = pytest.mark.django_db

S = Signature.Status

# status → (confirmed, decided, withdrawn): which timestamps the services have set by then
TIMESTAMPS = {
    S.PENDING_CONFIRMATION: (False, False, False),
    S.PENDING_REVIEW: (True, False, False),
    S.APPROVED: (True, True, False),
    S.REJECTED: (True, True, False),
    S.WITHDRAWN: (True, True, True),
    S.EXPIRED: (False, False, False),
    S.DUPLICATE: (True, False, False),
}


@pytest.mark.parametrize("status", S.values)
def test_a_signature_trait_sets_the_status_and_its_timestamps(status):
    signature = SignatureFactory(**{status: True})

    signature.refresh_from_db()
    version = signature.letter.versions.get(is_current=True)
    assert signature.status == status
    assert (signature.version, signature.version_hash) == (version, version.content_hash)
    assert (
        signature.confirmed_at is not None,
        signature.decided_at is not None,
        signature.withdrawn_at is not None,
    ) == TIMESTAMPS[status]
    assert signature.rejection_reason == ("cannot_verify_authority" if status == S.REJECTED else "")


def test_without_a_trait_a_signature_awaits_confirmation_as_sign_letter_leaves_it():
    signature = SignatureFactory()

    assert (signature.status, signature.confirmed_at) == (S.PENDING_CONFIRMATION, None)
