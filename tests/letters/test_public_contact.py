"""A letter's public contact address (issue 15, item 4): set by its coordinators through
the settings service, audited, shown on the public page."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from core.errors import NotAllowed
from letters import services
from letters.models import Letter
from letters.services.lifecycle import SETTINGS_FIELDS

pytestmark = pytest.mark.django_db


def test_coordinators_set_the_public_contact(owner, make_letter):
    letter = make_letter("open")

    services.update_letter(letter=letter, actor=owner, public_contact_email="campaigns@ngo.org")

    letter.refresh_from_db()
    assert letter.public_contact_email == "campaigns@ngo.org"
    event = AuditEvent.objects.filter(action="letter.settings_changed").latest("pk")
    assert "public_contact_email" in event.data["fields"]


def test_others_cannot_set_the_public_contact(signer, make_letter):
    letter = make_letter("open")

    with pytest.raises(NotAllowed):
        services.update_letter(letter=letter, actor=signer, public_contact_email="x@evil.org")

    assert Letter.objects.get(pk=letter.pk).public_contact_email == ""


def test_it_is_a_letter_setting():
    assert "public_contact_email" in SETTINGS_FIELDS


def test_the_public_page_shows_the_contact(client, owner, make_letter):
    letter = make_letter("open")
    services.update_letter(letter=letter, actor=owner, public_contact_email="campaigns@ngo.org")

    page = client.get(reverse("letters:detail", args=[letter.slug]))

    assert "Questions about this letter:" in page.content.decode()
    assert "mailto:campaigns@ngo.org" in page.content.decode()


def test_without_a_contact_the_page_promises_none(client, make_letter):
    letter = make_letter("open")

    page = client.get(reverse("letters:detail", args=[letter.slug]))

    assert "Questions about this letter:" not in page.content.decode()
