"""The public page's status line comes from the letter's state, not its summary (issue 15,
item 6); the demo letters have a public contact and no summary claiming a status."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from letters import services
from letters.demo import load_demo
from letters.models import Letter

pytestmark = pytest.mark.django_db


def _status(client, letter) -> str:
    html = client.get(reverse("letters:detail", args=[letter.slug])).content.decode()
    match = re.search(r'<p class="letter-status">(.*?)</p>', html, re.S)
    assert match, "no status line"
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


def test_open_letter_says_until_when(client, make_letter):
    letter = make_letter("open", deadline=dt.datetime(2031, 3, 1, 17, 30, tzinfo=dt.UTC))

    assert _status(client, letter) == "Open for signatures until 1 March 2031, 17:30 UTC"


def test_published_letter_says_published_whatever_its_summary(client, owner, make_letter):
    letter = make_letter("closed", summary="Closed and under embargo")
    services.publish_letter(letter=letter, actor=owner)
    letter.refresh_from_db()

    assert _status(client, letter).startswith("Published on ")


def test_closed_letter_with_a_publication_date_says_embargo(client, owner, make_letter):
    letter = make_letter("open", publication_date=dt.date(2031, 4, 2))
    services.close_letter(letter=letter, actor=owner)

    assert _status(client, letter) == "Closed; under embargo until 2 April 2031"


def test_demo_summaries_claim_no_status_and_letters_have_a_contact():
    load_demo()

    for letter in Letter.objects.all():
        assert "embargo" not in letter.summary.lower()
        assert not letter.summary.lower().startswith(("closed", "delivered", "a draft"))
        assert letter.public_contact_email.endswith(".example.org")


# --- Correcting the summary of a published letter ----------------------------------------------


def test_coordinators_correct_the_summary_after_publication(owner, make_letter):
    from audit.models import AuditEvent

    letter = make_letter("published", summary="Closed and under embargo")

    services.correct_summary(letter=letter, actor=owner, summary="Asks for the release.")

    letter.refresh_from_db()
    assert letter.summary == "Asks for the release."
    event = AuditEvent.objects.filter(action="letter.summary_corrected").get()
    assert event.data == {"old": "Closed and under embargo", "new": "Asks for the release."}


def test_others_cannot_correct_the_summary(signer, make_letter):
    from core.errors import NotAllowed

    letter = make_letter("published", summary="Old")

    with pytest.raises(NotAllowed):
        services.correct_summary(letter=letter, actor=signer, summary="New")
    assert Letter.objects.get(pk=letter.pk).summary == "Old"


def test_the_body_stays_frozen_after_publication(owner, make_letter):
    from core.errors import TransitionError

    letter = make_letter("published")

    with pytest.raises(TransitionError):
        services.update_letter(letter=letter, actor=owner, body="Rewritten")


def test_before_publication_the_summary_is_a_setting(owner, make_letter):
    from core.errors import TransitionError

    letter = make_letter("open", summary="Old")

    with pytest.raises(TransitionError):
        services.correct_summary(letter=letter, actor=owner, summary="New")
    assert Letter.objects.get(pk=letter.pk).summary == "Old"


def test_a_too_long_summary_is_refused(owner, make_letter):
    from core.errors import DomainError

    letter = make_letter("published", summary="Old")

    with pytest.raises(DomainError):
        services.correct_summary(letter=letter, actor=owner, summary="x" * 601)
    assert Letter.objects.get(pk=letter.pk).summary == "Old"


# --- The correction page ------------------------------------------------------------------------


def test_a_coordinator_corrects_a_published_summary_from_its_page(client, owner, make_letter):
    from audit.models import AuditEvent

    letter = make_letter(Letter.Status.PUBLISHED, summary="Closed and under embargo.")
    client.get(letter.get_absolute_url())  # an anonymous visitor's copy is cached
    client.force_login(owner)
    url = reverse("letters:summary", args=[letter.slug])
    page = client.get(letter.get_absolute_url()).content.decode()
    assert f'href="{url}"' in page  # a tab of the letter

    too_long = client.post(url, {"summary": "x" * 700})
    assert too_long.status_code == 200
    assert "There is a problem" in too_long.content.decode()
    response = client.post(url, {"summary": "Organisations ask the G7 to protect journalists."})

    assert response.status_code == 302
    client.logout()
    public = client.get(letter.get_absolute_url()).content.decode()
    assert "Organisations ask the G7 to protect journalists." in public
    assert "Closed and under embargo." not in public
    event = AuditEvent.objects.get(action="letter.summary_corrected")
    assert event.data == {
        "old": "Closed and under embargo.",
        "new": "Organisations ask the G7 to protect journalists.",
    }


def test_before_publication_the_correction_page_leads_to_the_settings(client, owner, make_letter):
    letter = make_letter(Letter.Status.OPEN)
    client.force_login(owner)

    response = client.get(reverse("letters:summary", args=[letter.slug]))

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:settings", args=[letter.slug])
