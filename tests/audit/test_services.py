"""audit.services: events are written only with an action of the enumeration, one row each,
many in one INSERT; a refused event writes nothing."""

import pytest
from django.contrib.auth.models import AnonymousUser

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import Event, record_event, record_events
from tests.factories import EmailDomainFactory, MembershipFactory

pytestmark = pytest.mark.django_db

# The values stored in existing rows: renaming one would orphan them from their filter.
STORED_VALUES = {
    "account.coordinator_requested",
    "account.coordinator_granted",
    "account.coordinator_declined",
    "account.api_token_created",
    "account.api_token_revoked",
    "letter.created",
    "letter.version_saved",
    "letter.settings_changed",
    "letter.translation_saved",
    "letter.summary_corrected",
    "letter.response_recorded",
    "letter.response_deleted",
    "letter.webhook_added",
    "letter.webhook_disabled",
    "letter.webhook_enabled",
    "letter.webhook_deleted",
    "letter.opened",
    "letter.closed",
    "letter.reopened",
    "letter.published",
    "letter.personal_data_erased",
    "letter.coordinator_added",
    "letter.coordinator_removed",
    "letter.coordinator_role_changed",
    "letter.review_delegated",
    "letter.review_taken_back",
    "signature.submitted",
    "signature.confirmed",
    "signature.auto_approved",
    "signature.approved",
    "signature.rejected",
    "signature.withdrawn",
    "signature.visibility_changed",
    "signature.reconfirmed",
    "signature.expired",
    "signature.duplicate",
    "letter.embargo_lift_cancelled",
    "letter.embargo_lift_requested",
    "letter.embargo_lifted",
    "letter.lead_accepted",
    "letter.lead_declined",
    "letter.lead_requested",
    "letter.lead_withdrawn",
    "signature.superseded",
    "invitation.created",
    "invitation.resent",
    "invitation.revoked",
    "invitation.declined",
    "invitation.forwarded",
    "invitations.imported",
    "invitations.resent_failed",
    "invitations.reminded",
    "organisation.created",
    "data.copy_sent",
    "data.signer_erased",
    "organisation.sealed",
    "organisation.unsealed",
    "organisation.updated",
    "organisation.verified",
    "organisation.unverified",
    "organisation.merged",
    "organisation.merged_into",
    "organisation.member_added",
    "organisation.member_role_changed",
    "organisation.member_removed",
    "organisation.member_invited",
    "organisation.invitation_accepted",
    "organisation.invitation_revoked",
    "organisation.domain_added",
    "organisation.domain_verified",
    "organisation.domain_unverified",
    "organisation.domain_removed",
}


def test_the_enumeration_keeps_the_stored_values_and_labels_each():
    assert set(Action.values) == STORED_VALUES
    assert len(Action.values) == len(STORED_VALUES)
    assert AuditEvent.Action is Action
    max_length = AuditEvent._meta.get_field("action").max_length
    assert all(len(value) <= max_length for value in Action.values)
    assert all(label and "." not in str(label) for label in Action.labels)


def test_record_event_writes_one_row(moderator):
    # Given
    email_domain = EmailDomainFactory(domain="tchrd.org")

    # When
    event = record_event(
        action=Action.ORGANISATION_DOMAIN_VERIFIED,
        actor=moderator,
        organisation=email_domain.organisation,
        target=email_domain,
        reason="Checked with the organisation",
        data={"domain": "tchrd.org"},
    )

    # Then
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.action, event.actor, event.organisation) == (
        "organisation.domain_verified",
        moderator,
        email_domain.organisation,
    )
    assert (event.target_type, event.target_id, event.letter_id) == (
        "organisations.emaildomain",
        email_domain.pk,
        None,
    )
    assert (event.reason, event.data) == ("Checked with the organisation", {"domain": "tchrd.org"})
    assert event.get_action_display() == "Email domain verified"


def test_an_anonymous_actor_is_recorded_as_nobody(organisation):
    event = record_event(
        action=Action.ORGANISATION_UPDATED, actor=AnonymousUser(), organisation=organisation
    )

    assert AuditEvent.objects.get(pk=event.pk).actor is None


@pytest.mark.parametrize(
    "action",
    [
        "organisation.updated",  # the right value, but a loose string
        "organisation.renamed",  # no such action
        "",
        None,
    ],
)
def test_record_event_refuses_anything_but_an_action(organisation, action):
    with pytest.raises(ValueError, match="Not an audit action"):
        record_event(action=action, organisation=organisation)

    assert AuditEvent.objects.count() == 0


def test_record_events_writes_many_rows_in_one_insert(django_assert_num_queries, moderator):
    # Given
    memberships = [MembershipFactory() for _ in range(5)]

    # When
    with django_assert_num_queries(1):
        events = record_events(
            events=[
                Event(
                    action=Action.ORGANISATION_MEMBER_ROLE_CHANGED,
                    actor=moderator,
                    organisation=membership.organisation,
                    target=membership,
                    data={"role": "admin"},
                )
                for membership in memberships
            ]
        )

    # Then
    assert len(events) == 5
    rows = list(
        AuditEvent.objects.order_by("id").values_list(
            "action", "actor", "organisation", "target_type", "target_id", "data"
        )
    )
    assert rows == [
        (
            "organisation.member_role_changed",
            moderator.pk,
            membership.organisation_id,
            "organisations.membership",
            membership.pk,
            {"role": "admin"},
        )
        for membership in memberships
    ]


def test_record_events_of_nothing_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert record_events(events=[]) == []


def test_record_events_refuses_the_whole_batch_for_one_loose_string(organisation):
    events = [
        Event(action=Action.ORGANISATION_UPDATED, organisation=organisation),
        Event(action="organisation.updated", organisation=organisation),  # type: ignore[arg-type]
    ]

    with pytest.raises(ValueError, match="Not an audit action"):
        record_events(events=events)

    assert AuditEvent.objects.count() == 0
