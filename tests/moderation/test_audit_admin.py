"""The audit trail in the admin: read-only, filtered by letter, organisation, actor and action;
each signature's, letter's and organisation's page shows its history."""

import html
import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from letters import services
from letters.models import Signature

from .conftest import sign_and_confirm

pytestmark = pytest.mark.django_db

TRAIL = reverse("admin:audit_auditevent_changelist")


def listed(response) -> list[str]:
    return [e.action for e in response.context["cl"].result_list]


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def history(moderator, second_moderator, letter, other_letter):
    """Decisions on two letters by two moderators."""
    first = sign_and_confirm(letter, name="Alpha Rights", email="a@alpha.example.net")
    second = sign_and_confirm(other_letter, name="Beta Rights", email="b@beta.example.net")
    services.approve_signature(signature=first, moderator=moderator)
    services.reject_signature(
        signature=second, moderator=second_moderator, reason=Signature.RejectionReason.SPAM
    )
    return {"first": first, "second": second}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=signature.approved", ["signature.approved"]),
        ("action__exact=signature.approved", ["signature.approved"]),
        ("actor=ACTOR", ["signature.rejected"]),
        ("actor=second@", ["signature.rejected"]),
        (
            # A typed name becomes an organisation when its signer confirms: the submission
            # itself is filed under no organisation.
            "organisation=Beta",
            [
                "signature.rejected",
                "signature.confirmed",
                "organisation.created",
            ],
        ),
        ("letter__id__exact=LETTER&action=signature.approved", ["signature.approved"]),
        ("letter__id__exact=OTHER&action=signature.approved", []),
    ],
)
def test_the_trail_filters(
    client, moderator, second_moderator, letter, other_letter, history, query, expected
):
    query = (
        query.replace("ACTOR", str(second_moderator.pk))
        .replace("LETTER", str(letter.pk))
        .replace("OTHER", str(other_letter.pk))
    )
    client.force_login(moderator)

    response = client.get(f"{TRAIL}?{query}")

    assert response.status_code == 200
    assert listed(response) == expected


def test_the_trail_shows_each_action_by_its_label_and_filters_by_it(client, moderator, history):
    client.force_login(moderator)

    page = text(client.get(TRAIL))

    assert '<td class="field-action">Signature approved</td>' in page
    assert '<td class="field-action">Signature rejected</td>' in page
    assert '<td class="field-action">signature.approved</td>' not in page
    # The filter offers the labels and filters by the stored code.
    assert '<a href="?action__exact=signature.approved">Signature approved</a>' in page


def test_the_trail_is_read_only(client, moderator, history):
    client.force_login(moderator)
    event = AuditEvent.objects.filter(action="signature.approved").get()
    url = reverse("admin:audit_auditevent_change", args=[event.pk])

    page = client.get(url)
    changed = client.post(url, {"action": "forged", "reason": "edited"})
    deleted = client.post(
        reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )

    assert page.status_code == 200
    assert "_save" not in page.content.decode()
    assert changed.status_code == 403
    assert deleted.status_code == 403
    event.refresh_from_db()
    assert event.action == "signature.approved"


def test_a_signatures_page_shows_its_history(client, moderator, history):
    client.force_login(moderator)

    response = client.get(reverse("admin:letters_signature_change", args=[history["first"].pk]))

    page = text(response)
    assert response.status_code == 200
    for label in ("Signature submitted", "Signature confirmed", "Signature approved"):
        assert f"<td>{label}</td>" in page
    assert "signature.approved" not in page  # the label, not the code
    assert "moderator@undersigned.example.org" in page
    assert "Signature rejected" not in page  # another signature's


def test_a_letters_page_shows_its_history_with_its_signatures(client, moderator, letter, history):
    client.force_login(moderator)

    response = client.get(reverse("admin:letters_letter_change", args=[letter.pk]))

    page = text(response)
    assert "<td>Letter created</td>" in page
    assert "<td>Letter opened for signatures</td>" in page
    assert "<td>Signature approved</td>" in page
    assert "Signature rejected" not in page  # the other letter's
    assert f"{TRAIL}?letter__id__exact={letter.pk}" in page


def test_an_organisations_page_shows_its_history(client, moderator, history):
    client.force_login(moderator)
    organisation = history["second"].organisation

    response = client.get(
        reverse("admin:organisations_organisation_change", args=[organisation.pk])
    )

    page = text(response)
    assert "<td>Organisation registered</td>" in page
    assert "<td>Signature rejected</td>" in page
    assert f"{TRAIL}?organisation={organisation.pk}" in page


def test_the_trail_links_an_event_to_what_it_is_about(client, moderator, history):
    client.force_login(moderator)

    page = client.get(f"{TRAIL}?action=signature.approved").content.decode()

    url = reverse("admin:letters_signature_change", args=[history["first"].pk])
    assert f'<a href="{url}">letters.signature #{history["first"].pk}</a>' in page
