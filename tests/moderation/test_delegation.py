"""Delegated moderation: a moderator lets a letter's coordinators approve and reject its
signatures; they then get the tools on that letter's signatures page, and nowhere else."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import AuditEvent
from letters import services
from letters.models import Letter, Signature
from tests.factories import make_coordinator

from .conftest import emails_of, make_open_letter, sign_and_confirm

pytestmark = pytest.mark.django_db

R = Signature.RejectionReason


def delegate(letter: Letter, moderator) -> Letter:
    return services.set_review_delegation(letter=letter, moderator=moderator, delegated=True)


def page(letter: Letter) -> str:
    return reverse("letters:letter-signatures", args=[letter.slug])


def approve_url(letter: Letter) -> str:
    return reverse("letters:signatures-approve", args=[letter.slug])


def reject_url(letter: Letter) -> str:
    return reverse("letters:signatures-reject", args=[letter.slug])


def state() -> list:
    return [
        list(Signature.objects.order_by("pk").values_list("pk", "status")),
        AuditEvent.objects.count(),
    ]


# --- Delegating, in the admin -------------------------------------------------------------------


def test_a_moderator_delegates_and_takes_back_in_the_admin(client, moderator, letter):
    client.force_login(moderator)
    url = reverse("admin:letters_letter_changelist")

    client.post(url, {"action": "delegate_review", "index": "0", ACTION_CHECKBOX_NAME: [letter.pk]})
    delegated = Letter.objects.get(pk=letter.pk).coordinators_moderate
    client.post(
        url, {"action": "take_back_review", "index": "0", ACTION_CHECKBOX_NAME: [letter.pk]}
    )

    assert delegated is True
    assert Letter.objects.get(pk=letter.pk).coordinators_moderate is False
    assert list(
        AuditEvent.objects.filter(letter=letter, action__startswith="letter.review")
        .order_by("id")
        .values_list("action", "actor")
    ) == [("letter.review_delegated", moderator.pk), ("letter.review_taken_back", moderator.pk)]


def test_delegating_twice_records_once(moderator, letter):
    delegate(letter, moderator)
    delegate(letter, moderator)

    assert AuditEvent.objects.filter(action="letter.review_delegated").count() == 1


def test_the_letters_admin_page_offers_delegation_and_shows_it(client, moderator, letter):
    client.force_login(moderator)
    url = reverse("admin:letters_letter_change", args=[letter.pk])

    response = client.post(
        url, {"CHANGE_FORM-action": "delegate_review", ACTION_CHECKBOX_NAME: [letter.pk]}
    )
    shown = client.get(url)

    assert response.status_code == 302
    assert Letter.objects.get(pk=letter.pk).coordinators_moderate is True
    assert "coordinators approve and reject signatures" in shown.content.decode().lower()


# --- The coordinator's page -----------------------------------------------------------------------


def test_without_delegation_the_coordinator_sees_decisions_but_no_tools(
    client, owner, moderator, letter, pending
):
    rejected = sign_and_confirm(letter, name="Spam Corp", email="x@spam.example.net")
    services.reject_signature(
        signature=rejected, moderator=moderator, reason=R.NOT_AN_ORGANISATION, note="A shop."
    )
    client.force_login(owner)

    body = client.get(page(letter)).content.decode()

    assert "Moderators review each signature before it counts." in body
    assert "Awaiting review" in body
    assert 'Not an organisation: <span dir="auto">A shop.</span>' in body
    assert 'name="only"' not in body
    assert approve_url(letter) not in body


def test_with_delegation_the_coordinator_gets_the_tools_on_pending_rows_only(
    client, owner, moderator, letter, pending
):
    approved = sign_and_confirm(letter, name="Done Rights", email="d@done.example.net")
    services.approve_signature(signature=approved, moderator=moderator)
    delegate(letter, moderator)
    client.force_login(owner)

    body = client.get(page(letter)).content.decode()

    assert "A moderator has delegated the review" in body
    assert f'name="only" value="{pending.pk}"' in body
    assert f'name="only" value="{approved.pk}"' not in body
    assert f'name="signature" value="{pending.pk}"' in body
    assert approve_url(letter) in body
    assert reject_url(letter) in body


@pytest.mark.parametrize("who", ["owner", "editor"])
def test_a_delegated_coordinator_approves(client, request, moderator, letter, pending, who):
    from letters.models import LetterCoordinator

    user = request.getfixturevalue("owner")
    if who == "editor":
        user = make_coordinator(email="editor@lead.example.org")
        LetterCoordinator.objects.create(letter=letter, user=user, role="editor")
    delegate(letter, moderator)
    client.force_login(user)

    response = client.post(approve_url(letter), {"only": pending.pk})

    assert response.status_code == 302
    assert response["Location"] == page(letter) + "?status=pending_review"
    signature = Signature.objects.get(pk=pending.pk)
    assert (signature.status, signature.decided_by) == ("approved", user)
    assert AuditEvent.objects.get(action="signature.approved").actor == user
    assert [e.to for e in emails_of("signature_approved")] == ["info@tibetwatch.example.net"]


def test_a_delegated_coordinator_approves_the_ticked_ones(client, owner, moderator, letter):
    first = sign_and_confirm(letter, name="First Rights", email="a@first.example.net")
    second = sign_and_confirm(letter, name="Second Rights", email="b@second.example.net")
    third = sign_and_confirm(letter, name="Third Rights", email="c@third.example.net")
    delegate(letter, moderator)
    client.force_login(owner)

    client.post(approve_url(letter), {"signature": [first.pk, third.pk]})

    assert [Signature.objects.get(pk=s.pk).status for s in (first, second, third)] == [
        "approved",
        "pending_review",
        "approved",
    ]


def test_a_delegated_coordinator_rejects_with_a_reason(client, owner, moderator, letter, pending):
    delegate(letter, moderator)
    client.force_login(owner)

    form = client.post(reject_url(letter), {"only": pending.pk})
    invalid = client.post(
        reject_url(letter), {"signature": pending.pk, "apply": "1", "reason": "other"}
    )
    response = client.post(
        reject_url(letter),
        {"signature": pending.pk, "apply": "1", "reason": R.DUPLICATE, "note": "Signed twice."},
    )

    assert form.status_code == 200
    assert [s.pk for s in form.context["signatures"]] == [pending.pk]
    assert invalid.status_code == 400
    assert list(invalid.context["form"].errors) == ["note"]
    assert response.status_code == 302
    signature = Signature.objects.get(pk=pending.pk)
    assert (signature.status, signature.rejection_reason, signature.rejection_note) == (
        "rejected",
        "duplicate",
        "Signed twice.",
    )
    [email] = emails_of("signature_rejected")
    assert "Signed twice." in email.body_text


def test_a_moderator_may_use_the_tools_too(client, moderator, letter, pending):
    client.force_login(moderator)

    client.post(approve_url(letter), {"only": pending.pk})

    assert Signature.objects.get(pk=pending.pk).status == "approved"


@pytest.mark.parametrize(
    ("role", "answer"),
    [
        ("anonymous", "login"),
        ("signer", 404),
        ("other_coordinator", 404),
        ("owner", 403),  # the letter's coordinator, review not delegated
    ],
)
@pytest.mark.parametrize("view", ["approve", "reject"])
def test_everyone_else_is_refused_and_nothing_changes(
    client, request, letter, pending, role, answer, view
):
    if role == "other_coordinator":
        client.force_login(make_coordinator(email="other@elsewhere.example.org"))
    elif role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    url = approve_url(letter) if view == "approve" else reject_url(letter)
    before = state()

    response = client.post(url, {"only": pending.pk, "apply": "1", "reason": R.SPAM})

    if answer == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == answer
    assert state() == before


def test_delegation_on_one_letter_does_not_reach_another(client, owner, moderator, letter, pending):
    # Given the same coordinator runs a second letter, whose review is not delegated
    second = make_open_letter(owner, title="Second letter")
    other = sign_and_confirm(second, name="Other Rights", email="o@other.example.net")
    delegate(letter, moderator)
    client.force_login(owner)
    before = state()

    # When they post the second letter's signature through the first letter's tools
    response = client.post(approve_url(letter), {"only": other.pk})
    # or through the second letter's
    refused = client.post(approve_url(second), {"only": other.pk})

    # Then nothing is decided
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Choose the signatures to approve."
    ]
    assert refused.status_code == 403
    assert state() == before


@pytest.mark.parametrize("view", ["approve", "reject"])
def test_a_get_is_not_allowed(client, owner, moderator, letter, view):
    delegate(letter, moderator)
    client.force_login(owner)

    response = client.get(approve_url(letter) if view == "approve" else reject_url(letter))

    assert response.status_code == 405


def test_a_draft_is_not_found(client, owner, moderator):
    draft = services.create_letter(author=owner, title="A draft", body="Text.", recipient="Someone")
    client.force_login(moderator)

    assert client.post(approve_url(draft), {"only": 1}).status_code == 404


def test_taking_back_removes_the_tools_and_the_right(client, owner, moderator, letter, pending):
    delegate(letter, moderator)
    services.set_review_delegation(letter=letter, moderator=moderator, delegated=False)
    client.force_login(owner)

    assert client.post(approve_url(letter), {"only": pending.pk}).status_code == 403
    assert 'name="only"' not in client.get(page(letter)).content.decode()


def test_a_signature_already_decided_is_reported(client, owner, moderator, letter, pending):
    delegate(letter, moderator)
    services.approve_signature(signature=pending, moderator=moderator)
    client.force_login(owner)

    response = client.post(approve_url(letter), {"only": pending.pk})

    # The same words as the admin's (Decisions.report)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "1 signature was not decided. Already decided by someone else: it is now “Approved”."
    ]
    assert AuditEvent.objects.filter(action="signature.approved").count() == 1
