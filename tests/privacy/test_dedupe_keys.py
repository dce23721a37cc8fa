"""Issue 12, item 2: no outbox dedupe key holds an email address (the keys outlive the
reduced bodies): after signing, confirming, a duplicate, a visibility change, an invitation and
a password reset, every key is ids, hashes and kinds only."""

import pytest
from django.test import TestCase
from django.urls import reverse

from letters import services
from letters.models import Letter
from outbox.models import OutboundEmail
from tests.factories import LetterFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.letters.signing_helpers import sign


@pytest.mark.django_db
def test_no_dedupe_key_holds_an_address(client, coordinator):
    letter = LetterFactory(sign_on_mode=Letter.SignOnMode.OPEN)
    letter.coordinators.create(user=coordinator)
    organisation = OrganisationFactory(name="Tibet Rights")
    MembershipFactory(
        organisation=organisation, user=UserFactory(email="admin@tibet-rights.example.org"),
        role="admin",
    )  # fmt: skip
    first = sign(letter, organisation=organisation, signer_email="first@tibet-rights.example.org")
    services.confirm_signature(signature=first)
    second = sign(letter, new_name="Tibet Rights", signer_email="second@probe.example.net")
    services.confirm_signature(signature=second)  # a duplicate: the admins are told
    services.narrow_visibility(signature=first, visibility="counted_only", show_signer_name=False)
    services.invite(
        letter=letter, actor=coordinator, email="contact@uyghur.example.org",
        organisation_name="Uyghur Group", contact_name="Contact",
    )  # fmt: skip
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": coordinator.email})

    keys = list(OutboundEmail.objects.values_list("kind", "dedupe_key"))

    assert {kind for kind, _key in keys} >= {
        "signature_confirm", "signature_duplicate", "signature_changed", "invitation",
    }  # fmt: skip
    assert [key for _kind, key in keys if "@" in key] == []
