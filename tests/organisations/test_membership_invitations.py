"""Membership invitations: an org admin invites an address; its owner accepts, logged in.

The invitation replaced adding members by the address of their account, which told anyone
who registers an organisation whether an address is in use on Undersigned. So the first
tests here check that inviting an address with an account and one without look exactly the
same to the inviter. On every refusal: nothing changed, no email, no audit event.
"""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed, TransitionError
from organisations import services, views
from organisations.models import Membership, MembershipInvitation, Organisation
from outbox.models import OutboundEmail
from tests.emails import as_sent
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

from .invitation_links import INVITEE_EMAIL, accept_url, secret_of

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "signer", "member", "org_admin", "coordinator", "moderator"]


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def members_url(organisation: Organisation) -> str:
    return reverse("organisations:members", kwargs={"slug": organisation.slug})


def revoke_url(invitation: MembershipInvitation) -> str:
    return reverse(
        "organisations:invitation-revoke",
        kwargs={"slug": invitation.organisation.slug, "pk": invitation.pk},
    )


def expire(invitation: MembershipInvitation) -> None:
    """Move the invitation's creation back past its validity, as if 14 days had passed."""
    MembershipInvitation.objects.filter(pk=invitation.pk).update(
        created_at=F("created_at") - MembershipInvitation.VALID_FOR - timedelta(seconds=1)
    )


def state(organisation: Organisation) -> dict:
    """Everything an invitation or its acceptance could change."""
    return {
        "memberships": list(organisation.memberships.order_by("pk").values_list("user_id", "role")),
        "invitations": list(
            MembershipInvitation.objects.order_by("pk").values_list(
                "pk", "status", "accepted_by_id", "responded_at"
            )
        ),
        "emails": list(OutboundEmail.objects.order_by("pk").values_list("kind", "to")),
        "events": actions(),
    }


# --- invite_member -------------------------------------------------------------------------


def test_org_admin_invites_an_address(org_admin, own_organisation, settings):
    # When
    invitation = services.invite_member(
        organisation=own_organisation,
        email="  Colleague@NGO.example.org ",
        role=Membership.Role.ADMIN,
        actor=org_admin,
    )

    # Then: only the hash of the link's secret is stored
    invitation.refresh_from_db()
    assert (invitation.email, invitation.role, invitation.status, invitation.invited_by) == (
        "Colleague@NGO.example.org",
        "admin",
        "pending",
        org_admin,
    )
    secret = secret_of(invitation)
    assert len(secret) >= 43
    assert re.fullmatch(r"[0-9a-f]{64}", invitation.token_hash)
    assert invitation.token_hash == MembershipInvitation.hash_secret(secret)
    assert secret not in invitation.token_hash
    # And: one email, with the absolute link, queued in the same transaction
    email = OutboundEmail.objects.get()
    assert (email.kind, email.to, email.dedupe_key) == (
        "membership_invitation",
        "Colleague@NGO.example.org",
        f"membership-invitation:{invitation.pk}",
    )
    link = settings.SITE_URL + accept_url(secret)
    assert link in as_sent(email).text
    assert f'href="{link}"' in as_sent(email).html
    assert email.subject == f"Invitation to join {own_organisation.name} on Undersigned"
    assert "Role: Administrator" in as_sent(email).text
    # And: an audit event, which names no address
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.organisation, event.target_id, event.data) == (
        "organisation.member_invited",
        org_admin,
        own_organisation,
        invitation.pk,
        {"role": "admin"},
    )


def test_the_email_names_the_inviter_and_says_whether_the_organisation_is_verified(
    org_admin, own_organisation
):
    org_admin.name = "Tenzin Admin"
    org_admin.save()

    services.invite_member(
        organisation=own_organisation, email=INVITEE_EMAIL, role="member", actor=org_admin
    )

    body = as_sent(OutboundEmail.objects.get()).text
    assert f"Tenzin Admin invites you to join {own_organisation.name} on Undersigned" in body
    assert "Verified by Undersigned's moderators: not yet" in body
    assert "The link works once, for 14 days." in body
    assert f"You accept while logged in with this address, {INVITEE_EMAIL}, confirmed." in body


def test_the_email_has_no_tracking_and_no_third_party_assets(org_admin, own_organisation, settings):
    services.invite_member(
        organisation=own_organisation, email=INVITEE_EMAIL, role="member", actor=org_admin
    )

    html = as_sent(OutboundEmail.objects.get()).html
    assert "<img" not in html
    assert "<link" not in html
    assert "<script" not in html
    urls = re.findall(r"""(?:href|src)=["']([^"']+)""", html)
    assert urls
    assert all(url.startswith(settings.SITE_URL + "/") for url in urls)


def test_a_moderator_invites_without_being_named(moderator, own_organisation):
    moderator.name = "Mod Erator"
    moderator.save()

    services.invite_member(
        organisation=own_organisation, email=INVITEE_EMAIL, role="member", actor=moderator
    )

    body = as_sent(OutboundEmail.objects.get()).text
    assert f"You are invited to join {own_organisation.name}" in body
    assert "Mod Erator" not in body
    assert actions() == ["organisation.member_invited"]


def test_the_service_answers_the_same_with_or_without_an_account(org_admin, own_organisation):
    UserFactory(email="known@elsewhere.example.org")

    def invite(email: str) -> tuple:
        invitation = services.invite_member(
            organisation=own_organisation, email=email, role="member", actor=org_admin
        )
        sent = OutboundEmail.objects.get(dedupe_key=f"membership-invitation:{invitation.pk}")
        secret = secret_of(invitation)
        return (
            invitation.status,
            sent.subject,
            as_sent(sent).text.replace(email, "EMAIL").replace(secret, "SECRET"),
            as_sent(sent).html.replace(email, "EMAIL").replace(secret, "SECRET"),
        )

    assert invite("known@elsewhere.example.org") == invite("nobody@elsewhere.example.org")


@pytest.mark.parametrize("who", ["member", "signer", "coordinator"])
def test_only_admins_and_moderators_invite(request, who, own_organisation):
    actor = request.getfixturevalue(who)
    before = state(own_organisation)

    with pytest.raises(NotAllowed):
        services.invite_member(
            organisation=own_organisation, email=INVITEE_EMAIL, role="member", actor=actor
        )

    assert state(own_organisation) == before


@pytest.mark.parametrize("typed", ["member@ngo.example.org", " MEMBER@ngo.example.org "])
def test_inviting_a_member_says_so(org_admin, own_organisation, member, typed):
    # The members page lists this address to the inviter already.
    before = state(own_organisation)

    with pytest.raises(DomainError, match=re.escape(f"{typed.strip()} is already a member.")):
        services.invite_member(
            organisation=own_organisation, email=typed, role="member", actor=org_admin
        )

    assert state(own_organisation) == before


def test_a_members_other_address_is_invited_like_any_other(org_admin, own_organisation, member):
    """The members page does not show a member's other addresses, so an invitation to one
    must not reveal whose it is."""
    EmailAddress.objects.create(user=member, email="pema@private.example.net", verified=True)

    invitation = services.invite_member(
        organisation=own_organisation,
        email="pema@private.example.net",
        role="member",
        actor=org_admin,
    )

    assert invitation.status == "pending"
    assert OutboundEmail.objects.count() == 1


def test_one_pending_invitation_per_address(org_admin, own_organisation, invitation):
    before = state(own_organisation)

    with pytest.raises(DomainError, match="already has a pending invitation"):
        services.invite_member(
            organisation=own_organisation,
            email=INVITEE_EMAIL.upper(),
            role="admin",
            actor=org_admin,
        )

    assert state(own_organisation) == before


def test_the_database_refuses_a_second_pending_invitation(own_organisation, invitation):
    with pytest.raises(Exception, match="UNIQUE|unique"), transaction.atomic():
        MembershipInvitation.objects.create(
            organisation=own_organisation,
            email=INVITEE_EMAIL.upper(),
            token_hash="f" * 64,
        )


def test_after_revoking_the_address_can_be_invited_again(org_admin, own_organisation, invitation):
    services.revoke_membership_invitation(invitation=invitation, actor=org_admin)

    again = services.invite_member(
        organisation=own_organisation, email=INVITEE_EMAIL, role="member", actor=org_admin
    )

    assert again.pk != invitation.pk
    assert OutboundEmail.objects.count() == 2


def test_an_expired_invitation_gives_way_to_a_new_one(org_admin, own_organisation, invitation):
    expire(invitation)

    again = services.invite_member(
        organisation=own_organisation, email=INVITEE_EMAIL, role="member", actor=org_admin
    )

    invitation.refresh_from_db()
    assert invitation.status == "expired"
    assert again.status == "pending"


def test_the_same_address_may_be_invited_by_two_organisations(org_admin, invitation, moderator):
    other = OrganisationFactory()

    services.invite_member(organisation=other, email=INVITEE_EMAIL, role="member", actor=moderator)

    assert MembershipInvitation.objects.filter(status="pending").count() == 2


@pytest.mark.parametrize(
    ("email", "role", "error"),
    [
        ("not an address", "member", "Enter a valid email address."),
        ("a@" + "b" * 250 + ".org", "member", "Enter a valid email address."),
        (INVITEE_EMAIL, "owner", "Unknown role."),
    ],
)
def test_invite_refuses_bad_input(org_admin, own_organisation, email, role, error):
    before = state(own_organisation)

    with pytest.raises(DomainError, match=error):
        services.invite_member(
            organisation=own_organisation, email=email, role=role, actor=org_admin
        )

    assert state(own_organisation) == before


def test_invitations_is_a_reserved_slug(signer):
    organisation = services.create_organisation(name="Invitations", created_by=signer)

    assert organisation.slug == "invitations-2"


# --- accept_membership_invitation ----------------------------------------------------------


def test_the_invitee_accepts(org_admin, own_organisation, invitation, secret, invitee):
    # When
    membership = services.accept_membership_invitation(secret=secret, user=invitee)

    # Then
    assert (membership.organisation, membership.user, membership.role, membership.added_by) == (
        own_organisation,
        invitee,
        "member",
        org_admin,
    )
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by) == ("accepted", invitee)
    assert invitation.responded_at is not None
    assert actions() == [
        "organisation.member_invited",
        "organisation.invitation_accepted",
        "organisation.member_added",
    ]
    assert AuditEvent.objects.get(action="organisation.member_added").actor == invitee


def test_an_invited_admin_joins_as_admin(org_admin, own_organisation, invitee):
    invitation = services.invite_member(
        organisation=own_organisation, email=INVITEE_EMAIL, role="admin", actor=org_admin
    )

    membership = services.accept_membership_invitation(secret=secret_of(invitation), user=invitee)

    assert membership.role == "admin"


def test_the_address_matches_whatever_its_case_and_on_any_confirmed_address(
    org_admin, own_organisation
):
    invitation = services.invite_member(
        organisation=own_organisation,
        email="Dolkar@Elsewhere.example.org",
        role="member",
        actor=org_admin,
    )
    user = UserFactory(email="dolkar@work.example.net")
    EmailAddress.objects.create(user=user, email="dolkar@elsewhere.example.org", verified=True)

    membership = services.accept_membership_invitation(secret=secret_of(invitation), user=user)

    assert membership.user == user


def test_someone_else_cannot_accept(own_organisation, secret, signer):
    before = state(own_organisation)

    with pytest.raises(NotAllowed, match=f"This invitation is for {INVITEE_EMAIL}. Log in"):
        services.accept_membership_invitation(secret=secret, user=signer)

    assert state(own_organisation) == before


def test_an_unconfirmed_address_is_not_enough(own_organisation, secret):
    user = UserFactory(email=INVITEE_EMAIL, verified=False)
    EmailAddress.objects.create(user=user, email=INVITEE_EMAIL, verified=False, primary=True)
    before = state(own_organisation)

    with pytest.raises(NotAllowed):
        services.accept_membership_invitation(secret=secret, user=user)

    assert state(own_organisation) == before


def test_an_invitation_works_once(own_organisation, secret, invitee):
    services.accept_membership_invitation(secret=secret, user=invitee)
    before = state(own_organisation)

    with pytest.raises(TransitionError, match="already been accepted"):
        services.accept_membership_invitation(secret=secret, user=invitee)

    assert state(own_organisation) == before


def test_an_expired_invitation_cannot_be_accepted(own_organisation, invitation, secret, invitee):
    expire(invitation)
    before = state(own_organisation)

    with pytest.raises(TransitionError, match="This invitation has expired."):
        services.accept_membership_invitation(secret=secret, user=invitee)

    assert state(own_organisation) == before


def test_a_revoked_invitation_cannot_be_accepted(
    org_admin, own_organisation, invitation, secret, invitee
):
    services.revoke_membership_invitation(invitation=invitation, actor=org_admin)
    before = state(own_organisation)

    with pytest.raises(TransitionError, match="withdrawn"):
        services.accept_membership_invitation(secret=secret, user=invitee)

    assert state(own_organisation) == before


def test_an_unknown_secret_is_refused(own_organisation, invitation, invitee):
    before = state(own_organisation)

    with pytest.raises(TransitionError, match="not valid"):
        services.accept_membership_invitation(secret="x" * 43, user=invitee)

    assert state(own_organisation) == before


def test_accepting_when_already_a_member_keeps_the_membership(
    moderator, own_organisation, invitation, secret, invitee
):
    # Given: a moderator added the invitee directly while the invitation was on its way
    existing = services.add_member(
        organisation=own_organisation, user=invitee, actor=moderator, role="admin"
    )

    # When
    membership = services.accept_membership_invitation(secret=secret, user=invitee)

    # Then
    assert membership == existing
    assert membership.role == "admin"
    invitation.refresh_from_db()
    assert invitation.status == "accepted"
    assert actions() == [
        "organisation.member_invited",
        "organisation.member_added",
        "organisation.invitation_accepted",
    ]


# --- revoke_membership_invitation ----------------------------------------------------------


@pytest.mark.parametrize("who", ["org_admin", "moderator"])
def test_admins_and_moderators_revoke(request, who, invitation):
    actor = request.getfixturevalue(who)

    services.revoke_membership_invitation(invitation=invitation, actor=actor)

    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    assert invitation.responded_at is not None
    assert actions() == ["organisation.member_invited", "organisation.invitation_revoked"]


@pytest.mark.parametrize("who", ["member", "signer", "coordinator"])
def test_others_cannot_revoke(request, who, own_organisation, invitation):
    actor = request.getfixturevalue(who)
    before = state(own_organisation)

    with pytest.raises(NotAllowed):
        services.revoke_membership_invitation(invitation=invitation, actor=actor)

    assert state(own_organisation) == before


def test_an_accepted_invitation_cannot_be_revoked(
    org_admin, own_organisation, invitation, secret, invitee
):
    services.accept_membership_invitation(secret=secret, user=invitee)
    before = state(own_organisation)

    with pytest.raises(TransitionError, match="has already accepted this invitation"):
        services.revoke_membership_invitation(invitation=invitation, actor=org_admin)

    assert state(own_organisation) == before


def test_revoking_twice_is_refused(org_admin, own_organisation, invitation):
    services.revoke_membership_invitation(invitation=invitation, actor=org_admin)
    before = state(own_organisation)

    with pytest.raises(TransitionError, match="no longer pending"):
        services.revoke_membership_invitation(invitation=invitation, actor=org_admin)

    assert state(own_organisation) == before


# --- The members page: inviting ------------------------------------------------------------


def _normalised(text: str, email: str) -> str:
    text = text.replace(email, "EMAIL")
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", text)
    text = re.sub(r"/invitations/\d+/revoke/", "/invitations/PK/revoke/", text)
    return re.sub(r"/organisations/invitations/[A-Za-z0-9_-]+/", "ACCEPT_URL", text)


def _invite_through_the_page(client, organisation: Organisation, email: str) -> dict:
    """What the inviter sees (and what is sent and recorded) when inviting `email`, with
    everything rolled back afterwards so that the next attempt starts from the same state."""
    savepoint = transaction.savepoint_create()
    try:
        response = client.post(
            members_url(organisation), {"email": email, "role": "member"}, follow=True
        )
        sent = OutboundEmail.objects.get()
        return {
            "redirects": response.redirect_chain,
            "status": response.status_code,
            "page": _normalised(response.content.decode(), email),
            "email": (sent.kind, sent.subject, _normalised(as_sent(sent).text, email)),
            "events": actions(),
        }
    finally:
        transaction.savepoint_rollback(savepoint)


def test_the_inviter_cannot_tell_whether_an_address_has_an_account(
    client, org_admin, own_organisation
):
    # Given: one address with a confirmed account, one with an unconfirmed account, one
    # with none
    UserFactory(email="known@elsewhere.example.org")
    UserFactory(email="pending@elsewhere.example.org", verified=False)
    client.force_login(org_admin)

    # When
    with_account = _invite_through_the_page(client, own_organisation, "known@elsewhere.example.org")
    unconfirmed = _invite_through_the_page(
        client, own_organisation, "pending@elsewhere.example.org"
    )
    without = _invite_through_the_page(client, own_organisation, "nobody@elsewhere.example.org")

    # Then: the same, byte for byte, apart from the address itself
    assert with_account == unconfirmed == without
    assert without["redirects"] == [(members_url(own_organisation), 302)]
    assert "Invitation sent to EMAIL. They join when they accept it." in without["page"]
    assert without["events"] == ["organisation.member_invited"]


@pytest.mark.parametrize("role", ["org_admin", "moderator"])
def test_admins_and_moderators_invite_through_the_page(request, client, own_organisation, role):
    client.force_login(request.getfixturevalue(role))

    response = client.post(
        members_url(own_organisation), {"email": "Colleague@ngo.example.org", "role": "admin"}
    )

    assert response.status_code == 302
    assert response["Location"] == members_url(own_organisation)
    invitation = own_organisation.membership_invitations.get()
    assert (invitation.email, invitation.role) == ("Colleague@ngo.example.org", "admin")
    assert actions() == ["organisation.member_invited"]
    page = client.get(members_url(own_organisation)).content.decode()
    assert "Invitation sent to Colleague@ngo.example.org. They join when they accept it." in page


def test_the_email_goes_out_after_the_commit(
    client, org_admin, own_organisation, settings, django_capture_on_commit_callbacks
):
    client.force_login(org_admin)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(members_url(own_organisation), {"email": INVITEE_EMAIL, "role": "member"})

    invitation = own_organisation.membership_invitations.get()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [INVITEE_EMAIL]
    assert message.subject == f"Invitation to join {own_organisation.name} on Undersigned"
    assert settings.SITE_URL + accept_url(secret_of(invitation)) in message.body
    assert OutboundEmail.objects.get().status == "sent"


def test_inviting_a_member_is_a_form_error(client, org_admin, own_organisation, member):
    client.force_login(org_admin)

    response = client.post(members_url(own_organisation), {"email": member.email, "role": "member"})

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [f"{member.email} is already a member."]
    assert own_organisation.membership_invitations.count() == 0
    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize("role", ["signer", "member", "coordinator"])
def test_others_cannot_invite_through_the_page(request, client, own_organisation, role):
    client.force_login(request.getfixturevalue(role))
    before = state(own_organisation)

    response = client.post(members_url(own_organisation), {"email": INVITEE_EMAIL, "role": "admin"})

    assert response.status_code == (403 if role == "member" else 404)
    assert state(own_organisation) == before


def test_invitations_are_rate_limited(client, org_admin, own_organisation, monkeypatch):
    monkeypatch.setattr(views, "INVITATIONS_PER_HOUR", views.ratelimit.Limit(2, 3600))
    client.force_login(org_admin)
    for n in range(2):
        client.post(
            members_url(own_organisation),
            {"email": f"p{n}@elsewhere.example.org", "role": "member"},
        )
    before = state(own_organisation)

    response = client.post(
        members_url(own_organisation), {"email": "p9@elsewhere.example.org", "role": "member"}
    )

    assert response.status_code == 429
    assert "You have sent many invitations in the last hour." in response.content.decode()
    assert state(own_organisation) == before


@pytest.mark.parametrize("role", ["org_admin", "moderator"])
def test_the_page_lists_pending_invitations_with_a_revoke_button(
    request, client, own_organisation, invitation, role
):
    accepted = services.invite_member(
        organisation=own_organisation,
        email="accepted@elsewhere.example.org",
        role="member",
        actor=request.getfixturevalue("org_admin"),
    )
    services.accept_membership_invitation(
        secret=secret_of(accepted), user=UserFactory(email="accepted@elsewhere.example.org")
    )
    client.force_login(request.getfixturevalue(role))

    content = client.get(members_url(own_organisation)).content.decode()

    assert "Pending invitations" in content
    assert f'<th scope="row" dir="ltr">{INVITEE_EMAIL}</th>' in content
    assert f'action="{revoke_url(invitation)}"' in content
    assert revoke_url(accepted) not in content
    assert content.count("Revoke the invitation to") == 1


def test_the_page_leaves_out_expired_invitations(client, org_admin, own_organisation, invitation):
    expire(invitation)
    client.force_login(org_admin)

    content = client.get(members_url(own_organisation)).content.decode()

    assert INVITEE_EMAIL not in content
    assert "No invitations are waiting to be accepted." in content


# --- Revoking through the page -------------------------------------------------------------


# What a POST to invitation-revoke gets, per role: the organisation's admins and moderators
# revoke; everyone else is refused and nothing changes.
# The organisation is unverified and on no public list: outsiders get the 404 of a missing one
# (issue 11, item 3); a member, who knows it, 403.
REVOKE_MATRIX = {
    "anonymous": 404,
    "signer": 404,
    "member": 403,
    "org_admin": 302,
    "coordinator": 404,
    "moderator": 302,
}


@pytest.mark.parametrize(("role", "expected"), REVOKE_MATRIX.items())
def test_revoke_per_role(request, client, own_organisation, invitation, role, expected):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    before = state(own_organisation)

    response = client.post(revoke_url(invitation))

    invitation.refresh_from_db()
    if expected == 302:
        assert response.status_code == 302
        assert response["Location"] == members_url(own_organisation)
        assert invitation.status == "revoked"
        assert actions()[-1] == "organisation.invitation_revoked"
        page = client.get(members_url(own_organisation)).content.decode()
        assert f"The invitation to {INVITEE_EMAIL} is revoked: its link no longer works." in page
    else:
        if expected == "login":
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("account_login"))
        else:
            assert response.status_code == expected
        assert state(own_organisation) == before


def test_revoking_an_invitation_of_another_organisation_is_404(client, org_admin, invitation):
    other = MembershipFactory(user=org_admin, role="admin").organisation
    client.force_login(org_admin)

    response = client.post(
        reverse("organisations:invitation-revoke", kwargs={"slug": other.slug, "pk": invitation.pk})
    )

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_revoking_an_accepted_invitation_says_so(
    client, org_admin, own_organisation, invitation, secret, invitee
):
    services.accept_membership_invitation(secret=secret, user=invitee)
    client.force_login(org_admin)

    response = client.post(revoke_url(invitation), follow=True)

    assert f"{INVITEE_EMAIL} has already accepted this invitation." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == "accepted"


# --- The accept page -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [*ROLES, "invitee"])
def test_a_get_never_changes_anything(request, client, own_organisation, secret, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    before = state(own_organisation)

    for method in (client.get, client.head):
        response = method(accept_url(secret))
        assert response.status_code == 200

    assert state(own_organisation) == before


def test_an_anonymous_visitor_is_asked_to_log_in_with_the_invited_address(
    client, own_organisation, secret
):
    response = client.get(accept_url(secret))

    content = response.content.decode()
    assert response.status_code == 200
    assert own_organisation.name in content
    assert "Member" in content
    assert f'log in or create an account with <strong dir="ltr">{INVITEE_EMAIL}</strong>' in content
    next_query = f"?next=%2Forganisations%2Finvitations%2F{secret}%2F"
    assert f'href="{reverse("account_login")}{next_query}"' in content
    assert f'href="{reverse("account_signup")}{next_query}"' in content
    assert '<meta name="robots" content="noindex">' in content
    assert "Accept the invitation" not in content
    assert 'method="post"' not in content.split("<main", 1)[1]


def test_the_invitee_sees_the_button_and_what_joining_means(client, secret, invitee):
    client.force_login(invitee)

    content = client.get(accept_url(secret)).content.decode()

    assert "Accept the invitation" in content
    assert "the organisation's other members see your name and email address" in content
    assert "A moderator has not verified this organisation yet" in content


def test_the_invitee_accepts_through_the_page(client, own_organisation, secret, invitee):
    client.force_login(invitee)

    response = client.post(accept_url(secret), follow=True)

    assert response.redirect_chain == [(members_url(own_organisation), 302)]
    assert f"You are now a member of {own_organisation.name}." in response.content.decode()
    assert own_organisation.memberships.get(user=invitee).role == "member"
    assert MembershipInvitation.objects.get().status == "accepted"


def test_someone_else_sees_why_they_cannot_accept(client, own_organisation, secret, signer):
    client.force_login(signer)
    before = state(own_organisation)

    page = client.get(accept_url(secret))
    response = client.post(accept_url(secret))

    assert "Accept the invitation" not in page.content.decode()
    assert f'<span dir="ltr">{signer.email}</span>' in page.content.decode()
    assert response.status_code == 403
    assert f"This invitation is for {INVITEE_EMAIL}." in response.content.decode()
    assert state(own_organisation) == before


def test_an_unconfirmed_address_is_told_to_confirm_it(client, own_organisation, secret):
    user = UserFactory(email=INVITEE_EMAIL, verified=False)
    EmailAddress.objects.create(user=user, email=INVITEE_EMAIL, verified=False, primary=True)
    client.force_login(user)
    before = state(own_organisation)

    page = client.get(accept_url(secret)).content.decode()
    response = client.post(accept_url(secret))

    assert "Accept the invitation" not in page
    assert "is not confirmed yet" in page
    assert response.status_code == 403
    assert state(own_organisation) == before


def test_an_anonymous_post_goes_to_the_login_page(client, own_organisation, secret):
    before = state(own_organisation)

    response = client.post(accept_url(secret))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={accept_url(secret)}"
    assert state(own_organisation) == before


# What a POST to the accept URL gets, per role: none of these accounts owns the invited
# address, so none can accept; the invitee can (test above).
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("signer", 403),
        ("member", 403),
        ("org_admin", 403),
        ("coordinator", 403),
        ("moderator", 403),
    ],
)
def test_accept_per_role(request, client, own_organisation, secret, role, expected):
    client.force_login(request.getfixturevalue(role))
    before = state(own_organisation)

    response = client.post(accept_url(secret))

    assert response.status_code == expected
    assert state(own_organisation) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_used_link_gives_a_clear_page(client, own_organisation, secret, invitee, method):
    services.accept_membership_invitation(secret=secret, user=invitee)
    client.force_login(invitee)
    before = state(own_organisation)

    response = getattr(client, method)(accept_url(secret))

    assert response.status_code == 410
    content = response.content.decode()
    assert "This invitation link no longer works" in content
    assert "already been accepted" in content
    assert f'href="{members_url(own_organisation)}"' in content  # the one who accepted it
    assert state(own_organisation) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_link_gives_a_clear_page(
    client, own_organisation, invitation, secret, invitee, method
):
    expire(invitation)
    client.force_login(invitee)
    before = state(own_organisation)

    response = getattr(client, method)(accept_url(secret))

    assert response.status_code == 410
    assert "This invitation has expired." in response.content.decode()
    assert state(own_organisation) == before


def test_a_revoked_link_gives_a_clear_page(client, org_admin, own_organisation, invitation, secret):
    services.revoke_membership_invitation(invitation=invitation, actor=org_admin)

    response = client.get(accept_url(secret))

    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("secret", ["x" * 43, "short", "a" * 500])
def test_an_unknown_link_is_404_never_500(client, invitee, invitation, method, secret):
    client.force_login(invitee)

    response = getattr(client, method)(accept_url(secret))

    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


# --- Durable transactions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda world: services.invite_member(
                organisation=world["organisation"],
                email="colleague@ngo.example.org",
                role=Membership.Role.MEMBER,
                actor=world["org_admin"],
            ),
            id="invite_member",
        ),
        pytest.param(
            lambda world: services.accept_membership_invitation(
                secret=world["secret"], user=world["invitee"]
            ),
            id="accept_membership_invitation",
        ),
        pytest.param(
            lambda world: services.revoke_membership_invitation(
                invitation=world["invitation"], actor=world["org_admin"]
            ),
            id="revoke_membership_invitation",
        ),
    ],
)
def test_an_invitation_service_refuses_to_run_inside_another_transaction(
    org_admin, own_organisation, invitation, secret, invitee, call
):
    # Given
    world = {
        "organisation": own_organisation,
        "org_admin": org_admin,
        "invitation": invitation,
        "secret": secret,
        "invitee": invitee,
    }
    before = state(own_organisation)

    # When / Then
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        call(world)

    assert state(own_organisation) == before
