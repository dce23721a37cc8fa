"""Issue 11, item 9: an unconfirmed signature for a name nobody registered has no organisation
yet; the admin lists it by the name proposed."""

import pytest
from django.urls import reverse

from letters.models import Letter
from tests.factories import LetterFactory
from tests.letters.signing_helpers import sign


@pytest.mark.django_db
def test_the_admin_lists_a_proposed_organisation_by_its_name(client, moderator):
    letter = LetterFactory(sign_on_mode=Letter.SignOnMode.OPEN)
    sign(letter, new_name="Proposed Only Group", signer_email="someone@probe.example.net")
    client.force_login(moderator)

    response = client.get(reverse("admin:letters_signature_changelist"))

    assert response.status_code == 200
    assert "Proposed Only Group" in response.content.decode()


@pytest.mark.django_db
def test_its_admin_page_opens(client, moderator):
    letter = LetterFactory(sign_on_mode=Letter.SignOnMode.OPEN)
    signature = sign(
        letter, new_name="Proposed Only Group", signer_email="someone@probe.example.net"
    )
    client.force_login(moderator)

    response = client.get(reverse("admin:letters_signature_change", args=[signature.pk]))

    assert response.status_code == 200
    assert "Proposed Only Group" in response.content.decode()
