"""Letters emit their events to the coordinators' webhooks at each transition, in the
transition's own transaction, with minimal payloads (README "Webhooks")."""

import json

import pytest

from core.errors import TransitionError
from letters import services
from letters.models import Letter, Signature
from letters.services import lifecycle
from tests.letters.signing_helpers import SIGNER_EMAIL, SIGNER_NAME, open_mode_letter, sign
from webhooks import services as webhook_services
from webhooks.events import Event
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db
S = Letter.Status


def _subscribe(letter, receiver, events=tuple(Event.values)):
    endpoint, _ = webhook_services.create_endpoint(
        letter_id=letter.pk, url=receiver.url, events=list(events)
    )
    return endpoint


def _events(letter) -> list[dict]:
    return [
        json.loads(d.body)
        for d in WebhookDelivery.objects.filter(endpoint__letter=letter).order_by("pk")
    ]


def _types(letter) -> list[str]:
    return [e["type"] for e in _events(letter)]


def test_the_letters_lifecycle_emits_opened_closed_reopened_published(make_letter, owner, receiver):
    letter = make_letter(S.DRAFT)
    _subscribe(letter, receiver)

    services.open_letter(letter=letter, actor=owner)
    services.close_letter(letter=letter, actor=owner)
    services.reopen_letter(letter=letter, actor=owner, deadline=None)
    services.close_letter(letter=letter, actor=owner)
    services.publish_letter(letter=letter, actor=owner)

    events = _events(letter)
    assert [e["type"] for e in events] == [
        "letter.opened",
        "letter.closed",
        "letter.opened",
        "letter.closed",
        "letter.published",
    ]
    assert events[0]["letter"] == {"id": letter.pk, "slug": letter.slug, "status": "open"}
    assert events[2]["reopened"] is True
    assert events[4]["letter"]["status"] == "published"
    assert set(events[0]) == {"id", "type", "occurred_at", "letter"}
    assert len({e["id"] for e in events}) == 5


def test_an_illegal_transition_emits_nothing(open_letter, owner, receiver):
    _subscribe(open_letter, receiver)

    with pytest.raises(TransitionError):
        services.publish_letter(letter=open_letter, actor=owner)  # not closed yet

    assert _types(open_letter) == []


def test_a_rolled_back_transition_leaves_no_delivery(open_letter, owner, receiver, monkeypatch):
    _subscribe(open_letter, receiver)
    real_emit = lifecycle.emit

    def emit_then_fail(**kwargs):
        real_emit(**kwargs)
        assert WebhookDelivery.objects.count() == 1  # queued inside the transaction…
        raise RuntimeError("something after the event failed")

    monkeypatch.setattr(lifecycle, "emit", emit_then_fail)

    with pytest.raises(RuntimeError):
        services.close_letter(letter=open_letter, actor=owner)

    # …and rolled back with it.
    assert WebhookDelivery.objects.count() == 0
    assert Letter.objects.get(pk=open_letter.pk).status == S.OPEN


def test_a_signature_emits_confirmed_approved_and_withdrawn_without_personal_data(
    make_letter, receiver, moderator
):
    letter = open_mode_letter(make_letter)
    _subscribe(letter, receiver)
    signature = sign(letter)

    services.confirm_signature(signature=signature)
    services.approve_signature(signature=signature, moderator=moderator)
    services.withdraw_signature(signature=signature)

    events = _events(letter)
    assert [e["type"] for e in events] == [
        "signature.confirmed",
        "signature.approved",
        "signature.withdrawn",
    ]
    signature.refresh_from_db()
    assert events[0]["signature"] == {
        "id": signature.pk,
        "status": "pending_review",
        "visibility": "public",
        "organisation": "Tibetan Women's Association",
    }
    assert events[1]["signature"]["status"] == "approved"
    assert events[2]["signature"]["status"] == "withdrawn"
    bodies = json.dumps(events)
    for personal in (SIGNER_EMAIL, SIGNER_NAME, "tibetaction"):
        assert personal not in bodies


def test_a_rejection_emits_rejected(make_letter, receiver, moderator):
    letter = open_mode_letter(make_letter)
    _subscribe(letter, receiver, events=[Event.SIGNATURE_REJECTED])
    signature = sign(letter)
    services.confirm_signature(signature=signature)

    services.reject_signature(
        signature=signature, moderator=moderator, reason=Signature.RejectionReason.values[0]
    )

    assert _types(letter) == ["signature.rejected"]


def test_a_withheld_signature_is_named_to_the_coordinators_endpoint_only_encrypted(
    make_letter, receiver
):
    from django.db import connection

    letter = open_mode_letter(make_letter)
    _subscribe(letter, receiver, events=[Event.SIGNATURE_CONFIRMED])
    signature = sign(letter, new_name="Hidden Group", visibility="counted_only")

    services.confirm_signature(signature=signature)

    [event] = _events(letter)
    assert event["signature"]["organisation"] == "Hidden Group"
    assert event["signature"]["visibility"] == "counted_only"
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM webhooks_webhookdelivery")
        assert "Hidden Group" not in cursor.fetchone()[0]


def test_a_batch_of_decisions_emits_one_event_per_signature(make_letter, receiver, moderator):
    letter = open_mode_letter(make_letter)
    _subscribe(letter, receiver, events=[Event.SIGNATURE_APPROVED])
    signatures = [
        sign(letter, new_name=f"Group {n}", signer_email=f"s{n}@example.org") for n in range(3)
    ]
    for signature in signatures:
        services.confirm_signature(signature=signature)

    services.decide_signatures(
        signature_ids=[s.pk for s in signatures], moderator=moderator, approve=True
    )

    events = _events(letter)
    assert sorted(e["signature"]["id"] for e in events) == sorted(s.pk for s in signatures)
    assert {e["type"] for e in events} == {"signature.approved"}


def test_invitations_emit_accepted_and_declined(open_letter, owner, receiver):
    _subscribe(open_letter, receiver, events=[Event.INVITATION_ACCEPTED, Event.INVITATION_DECLINED])
    accepted = services.invite(
        letter=open_letter, actor=owner, email="a@one.example.org", organisation_name="One"
    )
    declined = services.invite(
        letter=open_letter, actor=owner, email="b@two.example.org", organisation_name="Two"
    )

    sign(open_letter, new_name="One", signer_email="a@one.example.org", invitation=accepted)
    services.decline_invitation(invitation=declined, reason="Not our issue")

    events = _events(open_letter)
    assert [(e["type"], e["invitation"]["id"]) for e in events] == [
        ("invitation.accepted", accepted.pk),
        ("invitation.declined", declined.pk),
    ]
    assert events[0]["invitation"]["organisation"] == "One"
    assert events[1]["invitation"]["status"] == "declined"
    bodies = json.dumps(events)
    assert "b@two.example.org" not in bodies
    assert "Not our issue" not in bodies


def test_nobody_subscribed_costs_one_query_and_writes_nothing(
    open_letter, owner, django_assert_num_queries
):
    from letters.services.webhook_events import emit

    with django_assert_num_queries(1):
        assert emit(letter=open_letter, event=Event.LETTER_CLOSED) == []


def test_recording_a_response_emits_response_recorded(make_letter, owner, receiver):
    letter = make_letter(S.PUBLISHED)
    _subscribe(letter, receiver)

    response = services.record_response(
        letter=letter,
        actor=owner,
        kind="response",
        received_on=letter.delivery.delivered_on,
        from_whom="The Secretary's private office",
        text="We will raise these cases.",
    )

    [event] = _events(letter)
    assert event["type"] == "response.recorded"
    assert event["response"] == {
        "id": response.pk,
        "kind": "response",
        "received_on": response.received_on.isoformat(),
        "from": "The Secretary's private office",
        "text": "We will raise these cases.",
        "document": False,
        "signers_emailed": 0,
    }


def test_a_refused_response_emits_nothing(make_letter, owner, receiver):
    letter = make_letter(S.CLOSED)
    _subscribe(letter, receiver)
    with pytest.raises(TransitionError):
        services.record_response(
            letter=letter,
            actor=owner,
            kind="response",
            received_on=letter.created_at.date(),
            from_whom="Someone",
            text="Too early.",
        )
    assert "response.recorded" not in _types(letter)
