"""Invitation services, one test per legal and per illegal transition: invite, import a CSV,
follow the outbox, resend, revoke, decline, pass on, remind, expire. Each refusal asserts that
nothing changed and no email was queued."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed, TransitionError
from letters import services, tokens
from letters.models import Invitation, InvitationImport, Letter, Signature
from letters.models.invitations import email_index
from organisations.models import Organisation
from outbox import services as outbox
from outbox.models import OutboundEmail
from tests.factories import EmailDomainFactory, OrganisationFactory
from tests.letters.invitation_helpers import (
    HEADER,
    LOCMEM_MAILER,
    deliver_outbox,
    hash_of,
    invitation_world,
    latest_email_of,
    links_in,
    secret_in,
    upload,
)
from tests.letters.signing_helpers import emails_of, sign

pytestmark = pytest.mark.django_db

St = Invitation.Status


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.MAILERS = LOCMEM_MAILER


def invite(letter, actor, email="pema@tibetaction.example.net", **kwargs):
    kwargs.setdefault("organisation_name", "Tibet Action Institute")
    kwargs.setdefault("contact_name", "Pema Dolma")
    return services.invite(letter=letter, actor=actor, email=email, **kwargs)


def sent_invitation(letter, actor, email="pema@tibetaction.example.net", **kwargs):
    invitation = invite(letter, actor, email, **kwargs)
    deliver_outbox()
    invitation.refresh_from_db()
    assert invitation.status == St.SENT
    return invitation


# --- Inviting one contact ---------------------------------------------------------------------


def test_an_invitation_stores_only_the_hash_of_its_links_secret(open_letter, owner):
    invitation = invite(open_letter, owner)

    [email] = emails_of("invitation")
    secret = secret_in(email)
    invitation.refresh_from_db()
    assert invitation.token_hash == hash_of(secret)
    assert secret not in (invitation.token_hash, invitation.token_seed)
    assert tokens.invitation_secret(invitation.token_seed) == secret
    assert (invitation.status, invitation.outbound_email, invitation.invited_by) == (
        St.QUEUED,
        email,
        owner,
    )
    assert (email.to, email.status, email.batch) == (
        "pema@tibetaction.example.net",
        "queued",
        f"letter:{open_letter.pk}:invitations",
    )
    assert links_in(email) == {
        f"/letters/invitations/{secret}/",
        f"/letters/invitations/{secret}/decline/",
        f"/letters/invitations/{secret}/forward/",
    }
    events = AuditEvent.objects.filter(target_type="letters.invitation", target_id=invitation.pk)
    assert list(events.values_list("action", "actor")) == [("invitation.created", owner.pk)]


def test_an_invitation_finds_a_registered_organisation_by_its_name(
    open_letter, owner, organisation
):
    invitation = invite(open_letter, owner, organisation_name="  tibet-action   INSTITUTE ")

    assert (invitation.organisation, invitation.organisation_name) == (
        organisation,
        "Tibet Action Institute",
    )


def test_an_invitation_finds_an_organisation_by_its_verified_domain(open_letter, owner):
    organisation = OrganisationFactory(name="Tibet Watch", is_verified=True)
    EmailDomainFactory(organisation=organisation, domain="tibetwatch.example.net", is_verified=True)

    invitation = invite(open_letter, owner, "lhamo@tibetwatch.example.net", organisation_name="TW")

    assert invitation.organisation == organisation


@pytest.mark.parametrize(
    ("domain", "verified", "email"),
    [
        ("tibetwatch.example.net", False, "lhamo@tibetwatch.example.net"),
        ("gmail.com", False, "lhamo@gmail.com"),
    ],
)
def test_an_unverified_or_public_mail_domain_finds_no_organisation(
    open_letter, owner, domain, verified, email
):
    EmailDomainFactory(organisation=OrganisationFactory(name="Claimant"), domain=domain)

    invitation = invite(open_letter, owner, email, organisation_name="Tibet Watch")

    assert (invitation.organisation, invitation.organisation_name) == (None, "Tibet Watch")
    assert not Organisation.objects.filter(name="Tibet Watch").exists()


def test_an_invitation_to_a_draft_is_allowed(draft_letter, owner):
    assert invite(draft_letter, owner).status == St.QUEUED


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("another coordinator", NotAllowed),
        ("closed letter", TransitionError),
        ("published letter", TransitionError),
        ("same address, other case", DomainError),
        ("invalid address", DomainError),
        ("formula as name", DomainError),
        ("no organisation", DomainError),
    ],
)
def test_a_refused_invitation_changes_nothing_and_sends_nothing(
    request, make_letter, owner, other_coordinator, case, error
):
    letter = make_letter(Letter.Status.OPEN)
    invite(letter, owner)
    actor, kwargs = owner, {"email": "new@example.org"}
    if case == "another coordinator":
        actor = other_coordinator
    elif case == "closed letter":
        letter = make_letter(Letter.Status.CLOSED)
    elif case == "published letter":
        letter = make_letter(Letter.Status.PUBLISHED)
    elif case == "same address, other case":
        kwargs = {"email": "PEMA@TibetAction.example.net"}
    elif case == "invalid address":
        kwargs = {"email": "not-an-address"}
    elif case == "formula as name":
        kwargs = {"email": "new@example.org", "organisation_name": "=cmd|'/c calc'!A1"}
    elif case == "no organisation":
        kwargs = {"email": "new@example.org", "organisation_name": "   "}
    before = invitation_world()

    with pytest.raises(error):
        invite(letter, actor, **kwargs)

    assert invitation_world() == before


# --- Following the outbox ------------------------------------------------------------------------


def test_an_invitation_is_sent_when_its_email_is(open_letter, owner):
    invitation = invite(open_letter, owner)

    outcomes = deliver_outbox()

    invitation.refresh_from_db()
    email = invitation.outbound_email
    assert list(outcomes.values())[0].status == "sent"
    assert (invitation.status, invitation.sent_at, invitation.last_error) == (
        St.SENT,
        email.sent_at,
        "",
    )
    assert len(mail.outbox) == 1


def test_an_invitation_fails_when_its_email_fails_for_good(open_letter, owner, settings):
    invitation = invite(open_letter, owner)
    email = invitation.outbound_email

    class Refusing:
        def open(self):
            return True

        def close(self):
            pass

        def send_messages(self, messages):
            import smtplib

            raise smtplib.SMTPRecipientsRefused({email.to: (550, b"5.1.1 No such user")})

    outcome = outbox.deliver(email_id=email.pk, mailer=Refusing())

    invitation.refresh_from_db()
    assert outcome.status == "failed"
    assert invitation.status == St.FAILED
    assert invitation.last_error == (
        "SMTPRecipientsRefused: {'pema@tibetaction.example.net': (550, b'5.1.1 No such user')}"
    )
    assert invitation.sent_at is None


def test_a_retried_email_leaves_the_invitation_queued(open_letter, owner):
    invitation = invite(open_letter, owner)

    class Busy:
        def send_messages(self, messages):
            import smtplib

            raise smtplib.SMTPResponseException(451, b"4.3.0 Try again later")

    outcome = outbox.deliver(email_id=invitation.outbound_email_id, mailer=Busy())

    invitation.refresh_from_db()
    assert outcome.status == "retry"
    assert invitation.status == St.QUEUED


def test_a_failing_receiver_never_undoes_a_delivery(open_letter, owner, monkeypatch):
    invitation = invite(open_letter, owner)

    def broken(**kwargs):
        Invitation.objects.filter(pk=invitation.pk).update(status=St.SENT)  # rolled back
        raise RuntimeError("bug in a receiver")

    monkeypatch.setattr("letters.receivers.follow_email_status", broken)
    deliver_outbox()

    invitation.refresh_from_db()
    email = invitation.outbound_email
    assert (email.status, email.attempts) == ("sent", 1)
    assert invitation.status == St.QUEUED  # the receiver's write went with its savepoint
    assert len(mail.outbox) == 1


def test_other_emails_do_not_touch_invitations(open_letter, owner):
    invitation = invite(open_letter, owner)
    other = outbox.queue_email(
        kind="signature_duplicate",
        to="x@example.org",
        context={"letter": open_letter, "organisation_name": "X", "letter_url": "/"},
        dedupe_key="other",
    )
    Invitation.objects.filter(pk=invitation.pk).update(outbound_email=other)

    deliver_outbox()

    invitation.refresh_from_db()
    assert invitation.status == St.QUEUED


# --- Importing a CSV --------------------------------------------------------------------------------


CONTACTS = HEADER + (
    "Tibet Action Institute,Pema Dolma,pema@tibetaction.example.net,Dharamsala\n"
    "Uyghur Youth Network,Aysha Turdi,aysha@udyn.example.org,East Turkestan\n"
    "uyghur youth network,Dilnur Ablet,dilnur@udyn.example.org,\n"
    "Tibet Watch (by domain),Lhamo,lhamo@tibetwatch.example.net,\n"
    "Signed Already,Ka-yan,kayan@signed.example.org,\n"
    "Invited Before,Jin,jin@invited.example.org,\n"
    "Tibet Action Institute,Pema Dolma,pema@tibetaction.example.net,Dharamsala\n"
)


@pytest.fixture
def import_world(open_letter, owner, organisation):
    """Registered organisations (one found by name, one by its verified domain, one that has
    signed) and an earlier invitation."""
    watch = OrganisationFactory(name="Tibet Watch", is_verified=True)
    EmailDomainFactory(organisation=watch, domain="tibetwatch.example.net", is_verified=True)
    signed = OrganisationFactory(name="Signed Already")
    director = invite(open_letter, owner, "director@signed.example.org", organisation=signed)
    sign(open_letter, organisation=None, new_name="", invitation=director)
    invite(open_letter, owner, "jin@invited.example.org", organisation_name="Invited Before")
    return {"tai": organisation, "watch": watch, "signed": signed}


def test_the_preview_sorts_every_row(open_letter, owner, import_world):
    from letters.selectors import classify_import_rows

    invitation_import = upload(open_letter, owner, CONTACTS)

    rows = classify_import_rows(open_letter, invitation_import.rows)

    assert [(row.line, row.state, row.note) for row in rows] == [
        (2, "new", "Existing organisation: Tibet Action Institute."),
        (3, "new", "New organisation, unverified."),
        (4, "new", "New organisation, unverified."),
        (5, "new", "Tibet Watch, found by the verified domain of the address."),
        (6, "already_signed", "Signed Already has signed, or its signature awaits confirmation."),
        (7, "already_invited", f"Invited on {timezone.now():%-d %b %Y}: queued."),
        (8, "already_invited", "Same contact as line 2."),
    ]


def test_confirming_invites_the_new_rows_in_one_go(open_letter, owner, import_world):
    invitation_import = upload(open_letter, owner, CONTACTS)
    organisations_before = Organisation.objects.count()

    ids = services.confirm_import(invitation_import=invitation_import, actor=owner)

    invitations = [Invitation.objects.get(pk=pk) for pk in ids]
    assert [(inv.email, inv.organisation.name, inv.status) for inv in invitations] == [
        ("pema@tibetaction.example.net", "Tibet Action Institute", St.QUEUED),
        ("aysha@udyn.example.org", "Uyghur Youth Network", St.QUEUED),
        ("dilnur@udyn.example.org", "Uyghur Youth Network", St.QUEUED),
        ("lhamo@tibetwatch.example.net", "Tibet Watch", St.QUEUED),
    ]
    # One new organisation for the two contacts of the Uyghur Youth Network, unverified
    new = Organisation.objects.get(name="Uyghur Youth Network")
    assert (new.is_verified, new.based_in, new.slug) == (
        False,
        "East Turkestan",
        "uyghur-youth-network",
    )
    assert Organisation.objects.count() == organisations_before + 1
    assert AuditEvent.objects.filter(action="organisation.created", organisation=new).count() == 1
    # Each invitation has its own email and link, queued in the same transaction
    emails = emails_of("invitation")[2:]  # the first two are the earlier invitations'
    assert [email.to for email in emails] == [inv.email for inv in invitations]
    for invitation, email in zip(invitations, emails, strict=True):
        invitation.refresh_from_db()
        assert invitation.outbound_email == email
        assert invitation.token_hash == hash_of(secret_in(email))
    invitation_import.refresh_from_db()
    assert (invitation_import.status, invitation_import.invited_count, invitation_import.rows) == (
        InvitationImport.Status.CONFIRMED,
        4,
        [],
    )
    event = AuditEvent.objects.get(action="invitations.imported")
    assert event.data == {
        "import_id": invitation_import.pk,
        "file": "contacts.csv",
        "invited": 4,
        "skipped": 3,
        "organisations_created": 1,
        "invitation_ids": ids,
    }


def test_a_file_with_a_row_in_error_invites_nobody(open_letter, owner):
    invitation_import = upload(
        open_letter, owner, HEADER + "Free Tibet,Ana,ana@ft.example.org,\nX,,bad,\n"
    )
    before = invitation_world()

    with pytest.raises(DomainError) as error:
        services.confirm_import(invitation_import=invitation_import, actor=owner)

    assert error.value.message.startswith("1 rows still have a problem.")
    assert invitation_world() == before


def test_a_file_is_confirmed_once(open_letter, owner):
    invitation_import = upload(open_letter, owner, HEADER + "Free Tibet,Ana,ana@ft.example.org,\n")
    services.confirm_import(invitation_import=invitation_import, actor=owner)
    before = invitation_world()

    with pytest.raises(TransitionError):
        services.confirm_import(invitation_import=invitation_import, actor=owner)

    assert invitation_world() == before


def test_an_address_invited_meanwhile_is_skipped_at_confirmation(open_letter, owner, editor):
    invitation_import = upload(
        open_letter, owner, HEADER + "Free Tibet,Ana,ana@ft.example.org,\nB,Bo,bo@b.example.org,\n"
    )
    invite(open_letter, editor, "ANA@ft.example.org", organisation_name="Free Tibet")

    ids = services.confirm_import(invitation_import=invitation_import, actor=owner)

    assert [Invitation.objects.get(pk=pk).email for pk in ids] == ["bo@b.example.org"]
    assert Invitation.objects.filter(email_index=email_index("ana@ft.example.org")).count() == 1


@pytest.mark.parametrize("who", ["other_coordinator", "closed"])
def test_confirming_is_refused_to_others_and_after_closing(
    request, open_letter, owner, other_coordinator, who
):
    invitation_import = upload(open_letter, owner, HEADER + "Free Tibet,Ana,ana@ft.example.org,\n")
    actor = owner
    if who == "other_coordinator":
        actor = other_coordinator
    else:
        services.close_letter(letter=open_letter, actor=owner)
    before = invitation_world()

    with pytest.raises((NotAllowed, TransitionError)):
        services.confirm_import(invitation_import=invitation_import, actor=actor)

    assert invitation_world() == before


def test_fixing_rows_checks_the_whole_file_again(open_letter, owner):
    text = HEADER + "Free Tibet,Ana,ana@ft,\nFree Tibet,Bo,bo@ft.example.org,\nX,,,\n"
    invitation_import = upload(open_letter, owner, text)
    assert [bool(row["errors"]) for row in invitation_import.rows] == [True, False, True]

    fixed = services.fix_import_rows(
        invitation_import=invitation_import,
        actor=owner,
        changes={2: {"email": " ana@ft.example.org ", "line": 99}},
        drop=[4],
    )

    assert [(row["line"], row["email"], row["errors"]) for row in fixed.rows] == [
        (2, "ana@ft.example.org", []),
        (3, "bo@ft.example.org", []),
    ]


def test_dropping_every_invalid_row_keeps_the_good_ones(open_letter, owner):
    invitation_import = upload(
        open_letter, owner, HEADER + "A,Ana,ana@a.example.org,\nX,,,\n=1,Y,y@y.org,\n"
    )

    fixed = services.fix_import_rows(
        invitation_import=invitation_import, actor=owner, drop_invalid=True
    )

    assert [row["line"] for row in fixed.rows] == [2]


def test_dropping_every_row_is_refused(open_letter, owner):
    invitation_import = upload(open_letter, owner, HEADER + "X,,,\n")
    before = invitation_world()

    with pytest.raises(DomainError):
        services.fix_import_rows(
            invitation_import=invitation_import, actor=owner, drop_invalid=True
        )

    assert invitation_world() == before


def test_cancelling_forgets_the_contacts(open_letter, owner):
    invitation_import = upload(open_letter, owner, HEADER + "A,Ana,ana@a.example.org,\n")

    services.cancel_import(invitation_import=invitation_import, actor=owner)

    invitation_import.refresh_from_db()
    assert (invitation_import.status, invitation_import.rows) == ("cancelled", [])
    assert Invitation.objects.count() == 0


def test_unconfirmed_files_are_purged_after_a_day(open_letter, owner):
    old = upload(open_letter, owner, HEADER + "A,Ana,ana@a.example.org,\n")
    fresh = upload(open_letter, owner, HEADER + "B,Bo,bo@b.example.org,\n")
    InvitationImport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )

    assert services.purge_stale_imports() == 1
    assert list(InvitationImport.objects.values_list("pk", flat=True)) == [fresh.pk]


# --- Resend, revoke --------------------------------------------------------------------------------


def test_resending_gives_a_new_link_and_kills_the_old_one(client, open_letter, owner):
    invitation = sent_invitation(open_letter, owner)
    old_secret = secret_in(invitation.outbound_email)

    services.resend_invitation(invitation=invitation, actor=owner)

    invitation.refresh_from_db()
    [first, second] = emails_of("invitation")
    new_secret = secret_in(second)
    assert new_secret != old_secret
    assert (invitation.status, invitation.outbound_email, invitation.token_hash) == (
        St.QUEUED,
        second,
        hash_of(new_secret),
    )
    assert first.message_id != second.message_id
    assert client.get(f"/letters/invitations/{old_secret}/").status_code == 400
    assert client.get(f"/letters/invitations/{new_secret}/").status_code == 200


def test_a_failed_invitation_can_be_resent(open_letter, owner):
    invitation = invite(open_letter, owner)
    Invitation.objects.filter(pk=invitation.pk).update(status=St.FAILED, last_error="550")

    services.resend_invitation(invitation=invitation, actor=owner)

    invitation.refresh_from_db()
    assert (invitation.status, invitation.last_error) == (St.QUEUED, "")


@pytest.mark.parametrize("status", [St.QUEUED, St.ACCEPTED, St.DECLINED, St.REVOKED, St.EXPIRED])
def test_resending_from_another_state_is_refused(open_letter, owner, status):
    invitation = invite(open_letter, owner)
    Invitation.objects.filter(pk=invitation.pk).update(status=status)
    before = invitation_world()

    with pytest.raises(TransitionError):
        services.resend_invitation(invitation=invitation, actor=owner)

    assert invitation_world() == before


def test_resending_a_failed_one_whose_address_was_invited_again_is_refused(open_letter, owner):
    invitation = invite(open_letter, owner)
    Invitation.objects.filter(pk=invitation.pk).update(status=St.FAILED)
    invite(open_letter, owner)
    before = invitation_world()

    with pytest.raises(DomainError):
        services.resend_invitation(invitation=invitation, actor=owner)

    assert invitation_world() == before


def test_resending_is_for_the_letters_coordinators(open_letter, owner, other_coordinator):
    invitation = sent_invitation(open_letter, owner)
    before = invitation_world()

    with pytest.raises(NotAllowed):
        services.resend_invitation(invitation=invitation, actor=other_coordinator)

    assert invitation_world() == before


def test_resending_every_failed_one(open_letter, owner):
    failed = [invite(open_letter, owner, f"c{i}@org.example.org") for i in range(3)]
    sent = invite(open_letter, owner, "ok@org.example.org")
    Invitation.objects.filter(pk__in=[inv.pk for inv in failed]).update(status=St.FAILED)
    Invitation.objects.filter(pk=failed[2].pk).update(  # invited again
        email="ok@org.example.org", email_index=email_index("ok@org.example.org")
    )

    count = services.resend_failed_invitations(letter=open_letter, actor=owner)

    assert count == 2
    statuses = dict(Invitation.objects.values_list("pk", "status"))
    assert statuses == {
        failed[0].pk: St.QUEUED,
        failed[1].pk: St.QUEUED,
        failed[2].pk: St.FAILED,
        sent.pk: St.QUEUED,
    }
    for invitation in failed[:2]:
        email = latest_email_of(invitation)
        assert (email.to, email.kind) == (invitation.email, "invitation")
        assert Invitation.objects.get(pk=invitation.pk).token_hash == hash_of(secret_in(email))
    assert OutboundEmail.objects.count() == 6


def test_revoking_kills_the_link(client, open_letter, owner):
    invitation = sent_invitation(open_letter, owner)
    secret = secret_in(invitation.outbound_email)

    services.revoke_invitation(invitation=invitation, actor=owner)

    invitation.refresh_from_db()
    assert invitation.status == St.REVOKED
    assert client.get(f"/letters/invitations/{secret}/").status_code == 410
    assert (
        AuditEvent.objects.filter(action="invitation.revoked", target_id=invitation.pk).count() == 1
    )


@pytest.mark.parametrize("status", [St.ACCEPTED, St.DECLINED, St.REVOKED, St.EXPIRED])
def test_revoking_an_answered_or_dead_invitation_is_refused(open_letter, owner, status):
    invitation = invite(open_letter, owner)
    Invitation.objects.filter(pk=invitation.pk).update(status=status)
    before = invitation_world()

    with pytest.raises(TransitionError):
        services.revoke_invitation(invitation=invitation, actor=owner)

    assert invitation_world() == before


# --- The invitee: accept, decline, pass on ----------------------------------------------------------


def test_signing_through_the_link_accepts_with_invitation_authority(
    open_letter, owner, organisation
):
    invitation = sent_invitation(open_letter, owner, organisation=organisation)

    signature = sign(open_letter, organisation=None, new_name="", invitation=invitation)

    invitation.refresh_from_db()
    assert (invitation.status, signature.authority, signature.invitation) == (
        St.ACCEPTED,
        Signature.Authority.INVITATION,
        invitation,
    )


def test_declining_records_the_reason(open_letter, owner):
    invitation = sent_invitation(open_letter, owner)

    services.decline_invitation(invitation=invitation, reason="  Our board said no.  ")

    invitation.refresh_from_db()
    assert (invitation.status, invitation.decline_reason) == (St.DECLINED, "Our board said no.")
    assert invitation.responded_at is not None
    event = AuditEvent.objects.get(action="invitation.declined")
    # The reason is the invitee's free text: kept encrypted on the invitation, not in the trail.
    assert (event.actor, event.reason, event.letter_id, event.data["reason_given"]) == (
        None,
        "",
        open_letter.pk,
        True,
    )


@pytest.mark.parametrize("status", [St.ACCEPTED, St.DECLINED, St.REVOKED, St.EXPIRED, St.FAILED])
def test_declining_a_dead_invitation_is_refused(open_letter, owner, status):
    invitation = invite(open_letter, owner)
    Invitation.objects.filter(pk=invitation.pk).update(status=status)
    before = invitation_world()

    with pytest.raises(TransitionError):
        services.decline_invitation(invitation=invitation)

    assert invitation_world() == before


def test_declining_after_the_letter_closed_is_refused(open_letter, owner):
    invitation = sent_invitation(open_letter, owner)
    services.close_letter(letter=open_letter, actor=owner)
    before = invitation_world()

    with pytest.raises(TransitionError):
        services.decline_invitation(invitation=invitation)

    assert invitation_world() == before


def test_passing_on_gives_the_colleague_a_link_and_kills_the_old_one(
    client, open_letter, owner, organisation
):
    invitation = sent_invitation(open_letter, owner, organisation=organisation)
    old_secret = secret_in(invitation.outbound_email)

    successor = services.forward_invitation(
        invitation=invitation,
        contact_name="  Tenzin   Norbu ",
        email=" tenzin@tibetaction.example.net ",
    )

    invitation.refresh_from_db()
    assert invitation.status == St.REVOKED
    assert invitation.responded_at is not None
    assert (
        successor.letter,
        successor.organisation,
        successor.contact_name,
        successor.email,
        successor.forwarded_from,
        successor.invited_by,
        successor.status,
    ) == (
        open_letter,
        organisation,
        "Tenzin Norbu",
        "tenzin@tibetaction.example.net",
        invitation,
        owner,
        St.QUEUED,
    )
    [email] = emails_of("invitation_forwarded")
    assert email.to == "tenzin@tibetaction.example.net"
    assert email.subject == "Passed on to you: invitation to sign “Raise human rights in Beijing”"
    assert "Pema Dolma passed on to you the invitation of Tibet Action Institute" in email.body_text
    new_secret = secret_in(email)
    assert client.get(f"/letters/invitations/{old_secret}/").status_code == 410
    assert client.get(f"/letters/invitations/{new_secret}/").status_code == 200
    event = AuditEvent.objects.get(action="invitation.forwarded")
    assert (event.target_id, event.data) == (
        invitation.pk,
        {"letter_id": open_letter.pk, "to_invitation": successor.pk},
    )


def test_passing_on_to_someone_already_invited_sends_nothing_more(open_letter, owner):
    invitation = sent_invitation(open_letter, owner)
    colleague = invite(open_letter, owner, "tenzin@tibetaction.example.net")
    emails_before = OutboundEmail.objects.count()

    result = services.forward_invitation(
        invitation=invitation, contact_name="Tenzin", email="TENZIN@tibetaction.example.net"
    )

    invitation.refresh_from_db()
    assert result == colleague
    assert invitation.status == St.REVOKED
    assert OutboundEmail.objects.count() == emails_before
    assert Invitation.objects.count() == 2


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ("Tenzin", "pema@TIBETACTION.example.net"),  # to itself
        ("Tenzin", "not-an-address"),
        ("=cmd()", "tenzin@tibetaction.example.net"),
        ("", "tenzin@tibetaction.example.net"),
    ],
)
def test_a_refused_hand_over_changes_nothing(open_letter, owner, name, email):
    invitation = sent_invitation(open_letter, owner)
    before = invitation_world()

    with pytest.raises(DomainError):
        services.forward_invitation(invitation=invitation, contact_name=name, email=email)

    assert invitation_world() == before


def test_a_passed_on_invitation_cannot_be_passed_on_again_by_its_old_link(open_letter, owner):
    invitation = sent_invitation(open_letter, owner)
    services.forward_invitation(invitation=invitation, contact_name="T", email="t@x.example.org")
    before = invitation_world()

    with pytest.raises(TransitionError):
        services.forward_invitation(
            invitation=invitation, contact_name="U", email="u@x.example.org"
        )

    assert invitation_world() == before


# --- Reminders -------------------------------------------------------------------------------------


NOW = dt.datetime(2030, 3, 10, 12, 0, tzinfo=dt.UTC)
DEADLINE = NOW + dt.timedelta(days=2)  # inside the default window of 3 days


@pytest.fixture
def reminder_letter(make_letter):
    letter = make_letter(Letter.Status.OPEN)
    Letter.objects.filter(pk=letter.pk).update(deadline=DEADLINE)
    letter.refresh_from_db()
    return letter


def aged(invitation, *, status=St.SENT, sent_days_ago=5, **fields):
    Invitation.objects.filter(pk=invitation.pk).update(
        status=status, sent_at=NOW - dt.timedelta(days=sent_days_ago), **fields
    )
    invitation.refresh_from_db()
    return invitation


def test_reminders_go_to_exactly_the_unanswered_invitations(reminder_letter, owner):
    def make(email, **kwargs):
        return aged(invite(reminder_letter, owner, email), **kwargs)

    due = make("due@x.example.org")
    due_again = make(
        "previous-window@x.example.org", reminded_at=NOW - dt.timedelta(days=20), reminder_count=1
    )
    make("queued@x.example.org", status=St.QUEUED)
    make("failed@x.example.org", status=St.FAILED)
    make("accepted@x.example.org", status=St.ACCEPTED)
    make("declined@x.example.org", status=St.DECLINED)
    make("revoked@x.example.org", status=St.REVOKED)
    make("expired@x.example.org", status=St.EXPIRED)
    make("too-recent@x.example.org", sent_days_ago=0)
    make("reminded@x.example.org", reminded_at=NOW - dt.timedelta(hours=5), reminder_count=1)

    count = services.send_invitation_reminders(now=NOW)

    assert count == 2
    assert sorted(email.to for email in emails_of("invitation_reminder")) == [
        "due@x.example.org",
        "previous-window@x.example.org",
    ]
    due.refresh_from_db()
    due_again.refresh_from_db()
    assert (due.reminded_at, due.reminder_count, due.status) == (NOW, 1, St.SENT)
    assert (due_again.reminded_at, due_again.reminder_count) == (NOW, 2)
    assert due.outbound_email.kind == "invitation_reminder"


def test_reminders_are_sent_once_however_often_the_task_runs(reminder_letter, owner):
    aged(invite(reminder_letter, owner, "a@x.example.org"))
    aged(invite(reminder_letter, owner, "b@x.example.org"))

    first = services.send_invitation_reminders(now=NOW)
    second = services.send_invitation_reminders(now=NOW + dt.timedelta(hours=1))

    assert (first, second) == (2, 0)
    assert len(emails_of("invitation_reminder")) == 2


def test_a_reminder_carries_the_invitations_own_link(reminder_letter, owner):
    invitation = aged(invite(reminder_letter, owner))
    [invitation_email] = emails_of("invitation")

    services.send_invitation_reminders(now=NOW)

    [reminder] = emails_of("invitation_reminder")
    assert secret_in(reminder) == secret_in(invitation_email)
    assert reminder.subject == "Reminder: sign “Raise human rights in Beijing”"
    invitation.refresh_from_db()
    assert invitation.token_hash == hash_of(secret_in(invitation_email))


def test_an_invitation_without_a_seed_is_reminded_with_a_new_link(reminder_letter, owner):
    invitation = aged(invite(reminder_letter, owner), token_seed="")

    services.send_invitation_reminders(now=NOW)

    [reminder] = emails_of("invitation_reminder")
    invitation.refresh_from_db()
    assert invitation.token_hash == hash_of(secret_in(reminder))
    assert secret_in(reminder) != secret_in(emails_of("invitation")[0])


@pytest.mark.parametrize(
    ("case", "deadline", "days", "status"),
    [
        ("window not open yet", NOW + dt.timedelta(days=4), 3, Letter.Status.OPEN),
        ("deadline passed", NOW - dt.timedelta(minutes=1), 3, Letter.Status.OPEN),
        ("reminders off", NOW + dt.timedelta(days=2), 0, Letter.Status.OPEN),
        ("letter closed", NOW + dt.timedelta(days=2), 3, Letter.Status.CLOSED),
        ("no deadline", None, 3, Letter.Status.OPEN),
    ],
)
def test_no_reminder_outside_the_window(reminder_letter, owner, case, deadline, days, status):
    aged(invite(reminder_letter, owner))
    Letter.objects.filter(pk=reminder_letter.pk).update(
        deadline=deadline, reminder_days_before=days, status=status
    )
    before = invitation_world()

    assert services.send_invitation_reminders(now=NOW) == 0

    assert invitation_world() == before


def test_a_wider_window_set_per_letter(reminder_letter, owner):
    aged(invite(reminder_letter, owner), sent_days_ago=10)
    Letter.objects.filter(pk=reminder_letter.pk).update(
        deadline=NOW + dt.timedelta(days=6), reminder_days_before=7
    )

    assert services.send_invitation_reminders(now=NOW) == 1


def test_extending_the_deadline_opens_a_new_window(reminder_letter, owner):
    aged(invite(reminder_letter, owner))
    services.send_invitation_reminders(now=NOW)
    later = NOW + dt.timedelta(days=10)
    Letter.objects.filter(pk=reminder_letter.pk).update(deadline=later + dt.timedelta(days=1))

    assert services.send_invitation_reminders(now=later) == 1
    assert len(emails_of("invitation_reminder")) == 2


def test_a_failed_reminder_keeps_the_invitation_sent_and_shows_the_error(reminder_letter, owner):
    invitation = aged(invite(reminder_letter, owner))
    services.send_invitation_reminders(now=NOW)
    reminder = latest_email_of(invitation)

    services.follow_email_status(email_id=reminder.pk, status="failed", error="550 gone")

    invitation.refresh_from_db()
    assert (invitation.status, invitation.last_error) == (St.SENT, "550 gone")


def test_a_published_letters_invitations_expire(make_letter, owner):
    letter = make_letter(Letter.Status.OPEN)
    live = invite(letter, owner)
    declined = invite(letter, owner, "no@x.example.org")
    services.decline_invitation(invitation=declined)
    services.close_letter(letter=letter, actor=owner)
    services.publish_letter(letter=letter, actor=owner)

    assert services.expire_invitations() == 1

    assert dict(Invitation.objects.values_list("pk", "status")) == {
        live.pk: St.EXPIRED,
        declined.pk: St.DECLINED,
    }


def test_an_email_sent_after_the_invitation_was_answered_still_records_when(open_letter, owner):
    invitation = invite(open_letter, owner)
    services.revoke_invitation(invitation=invitation, actor=owner)

    deliver_outbox()

    invitation.refresh_from_db()
    assert (invitation.status, invitation.sent_at) == (
        St.REVOKED,
        invitation.outbound_email.sent_at,
    )
    assert invitation.sent_at is not None


# --- The mail merge of a fan-out ------------------------------------------------------------------


MERGE_NAMES = [
    ("Pema Dolma", "Tibet Action Institute"),
    ("", "Free Tibet"),
    ('O\'Brien & "Sons" <b>', "Lawyers & Rights <Asia>"),
    ("ئايشە", "ئۇيغۇر ياشلار تورى"),
    ("陳大文", "香港民主委員會"),
    ("{{secret:0}} {{secret:", "{{ secret:1}}"),  # placeholder-like text (sealing defuses it)
]


def _merge_cases(letter):
    """An unsaved invitation for each of MERGE_NAMES, with a secret of its own."""
    for contact, organisation in MERGE_NAMES:
        invitation = Invitation(
            letter=letter, contact_name=contact, organisation_name=organisation, email="x@y.org"
        )
        yield invitation, tokens.invitation_secret(tokens.new_invitation_seed())


@pytest.mark.parametrize("kind", ["invitation", "invitation_reminder"])
def test_a_merged_email_is_byte_for_byte_the_one_rendered_in_full(open_letter, kind):
    from letters import emails
    from outbox.rendering import render_email

    merge = emails._MailMerge(kind, open_letter)
    for invitation, secret in _merge_cases(open_letter):
        merged = merge.render(invitation, secret)
        full = render_email(kind, emails._invitation_context(invitation, secret))

        assert merged == full


@pytest.mark.parametrize("kind", ["invitation", "invitation_reminder"])
def test_a_merged_email_sealed_by_the_merge_is_stored_as_one_sealed_in_full(open_letter, kind):
    """link_secrets.seal_merged against seal() of the email rendered in full: the same stored
    text, the same secrets in the same order, for every contact."""
    from letters import emails
    from outbox import link_secrets
    from outbox.rendering import RenderedEmail, SealedEmail, render_email

    merge = emails._MailMerge(kind, open_letter)
    for invitation, secret in _merge_cases(open_letter):
        merged = merge.render_sealed(invitation, secret)
        full = render_email(kind, emails._invitation_context(invitation, secret))

        assert isinstance(merged, SealedEmail)
        stored, secrets = link_secrets.seal(full)
        assert RenderedEmail(merged.subject, merged.text, merged.html) == stored
        assert list(merged.secrets) == secrets == [secret]
        assert secret not in merged.text + merged.html + merged.subject
        defused = full.text.replace("{{secret:", "{{ secret:")
        assert link_secrets.fill(merged.text, merged.secrets) == defused


def test_the_merge_seals_nothing_it_has_not_checked(open_letter, monkeypatch):
    """A template whose link secret seal() would not find as the merge's field (here: a second
    secret, not a field of the merge) is sealed the usual way, email by email."""
    from letters import emails
    from outbox import link_secrets, rendering

    real = rendering.render_email
    extra = emails._invitation_links("q" * 32)["sign_url"]  # another invitation's link

    def with_another_link(kind, context, **kwargs):
        rendered = real(kind, context, **kwargs)
        return type(rendered)(rendered.subject, rendered.text + extra, rendered.html)

    monkeypatch.setattr(rendering, "render_email", with_another_link)
    merge = emails._MailMerge("invitation", open_letter)
    invitation = Invitation(
        letter=open_letter, contact_name="Pema", organisation_name="TAI", email="x@y.org"
    )
    secret = tokens.invitation_secret(tokens.new_invitation_seed())
    rendered = merge.render_sealed(invitation, secret)
    assert type(rendered) is rendering.RenderedEmail  # not sealed by the merge
    assert secret in rendered.text
    _stored, secrets = link_secrets.seal(rendered)
    assert secrets == [secret, "q" * 32]  # the outbox's own seal() finds both


def test_a_name_holding_one_of_our_links_is_sealed_by_looking_at_it(open_letter):
    """A contact's name is text the coordinator typed: should it hold a live link of the site,
    the outbox's own seal() finds it, as in any email, rather than the merge's shortcut."""
    from letters import emails
    from outbox import link_secrets, rendering

    merge = emails._MailMerge("invitation", open_letter)
    other = emails._invitation_links("r" * 32)["sign_url"]
    invitation = Invitation(
        letter=open_letter, contact_name=f"Pema {other}", organisation_name="TAI", email="x@y.org"
    )
    secret = tokens.invitation_secret(tokens.new_invitation_seed())

    rendered = merge.render_sealed(invitation, secret)

    assert type(rendered) is rendering.RenderedEmail
    _stored, secrets = link_secrets.seal(rendered)
    assert "r" * 32 in secrets


def test_a_template_that_changes_a_stand_in_falls_back_to_full_rendering(open_letter, monkeypatch):
    from letters import emails
    from outbox import rendering

    real = rendering.render_email

    def uppercasing(kind, context, **kwargs):
        rendered = real(kind, context, **kwargs)
        return type(rendered)(rendered.subject, rendered.text.upper(), rendered.html)

    monkeypatch.setattr(rendering, "render_email", uppercasing)
    merge = emails._MailMerge("invitation", open_letter)

    invitation = Invitation(
        letter=open_letter, contact_name="Pema", organisation_name="TAI", email="x@y.org"
    )
    assert merge.render(invitation, "s3cret") is None


def test_an_import_larger_than_a_chunk_is_one_whole(open_letter, owner, monkeypatch):
    monkeypatch.setattr("letters.services.invitation_imports.IMPORT_CHUNK", 2)
    invitation_import = upload(
        open_letter,
        owner,
        HEADER
        + "Rights & Co,A,a@rc.example.org,\n"
        + "Same Org,B,b@same.example.org,\n"
        + "Rights Co,C,c@rco.example.org,\n"
        + "same org,D,d@same.example.org,\n"
        + "Other,E,e@other.example.org,\n",
    )

    ids = services.confirm_import(invitation_import=invitation_import, actor=owner)

    assert len(ids) == 5
    assert sorted(Organisation.objects.values_list("name", "slug")) == [
        ("Other", "other"),
        ("Rights & Co", "rights-co"),
        ("Rights Co", "rights-co-2"),
        ("Same Org", "same-org"),
    ]
    assert sorted(Invitation.objects.values_list("email", "organisation__name")) == [
        ("a@rc.example.org", "Rights & Co"),
        ("b@same.example.org", "Same Org"),
        ("c@rco.example.org", "Rights Co"),
        ("d@same.example.org", "Same Org"),
        ("e@other.example.org", "Other"),
    ]
    assert OutboundEmail.objects.filter(kind="invitation").count() == 5
    # Registered chunk by chunk, each once: "same org" in the second chunk is the first's
    imported = AuditEvent.objects.get(action="invitations.imported")
    assert (imported.data["organisations_created"], imported.data["skipped"]) == (4, 0)
    assert AuditEvent.objects.filter(action="organisation.created").count() == 4


# --- Invitations to a draft are held until it opens (issue 15, item 1) -------------------------


def test_an_invitation_to_a_draft_is_held_and_sent_once_when_it_opens(draft_letter, owner, client):
    # Given an invitation made while the letter is a draft
    invitation = invite(draft_letter, owner)

    # Then nothing is sent: no email row at all, the invitation is held
    assert OutboundEmail.objects.count() == 0
    assert (invitation.status, invitation.outbound_email_id) == (St.QUEUED, None)
    assert list(services.held_invitations(draft_letter)) == [invitation]

    # When the letter opens, its email is queued in the same transaction, and goes out once
    services.open_letter(letter=draft_letter, actor=owner)
    email = latest_email_of(invitation)
    assert email is not None
    assert OutboundEmail.objects.filter(kind="invitation").count() == 1
    deliver_outbox()
    invitation.refresh_from_db()
    assert invitation.status == St.SENT
    assert len(mail.outbox) == 1
    # The link it carries is the invitation's own, and it works now
    assert hash_of(secret_in(email)) == invitation.token_hash
    assert client.get(f"/letters/invitations/{secret_in(email)}/").status_code == 200
    assert not services.held_invitations(draft_letter).exists()
    event = AuditEvent.objects.get(action="letter.opened")
    assert event.data == {"held_invitations_sent": 1}


def test_closing_and_reopening_sends_a_held_invitation_no_second_time(draft_letter, owner):
    invite(draft_letter, owner)
    services.open_letter(letter=draft_letter, actor=owner)
    services.close_letter(letter=draft_letter, actor=owner)

    services.reopen_letter(letter=draft_letter, actor=owner, deadline=None)

    assert OutboundEmail.objects.filter(kind="invitation").count() == 1


def test_a_held_invitation_revoked_before_the_opening_is_never_sent(draft_letter, owner):
    invitation = invite(draft_letter, owner)
    services.revoke_invitation(invitation=invitation, actor=owner)

    services.open_letter(letter=draft_letter, actor=owner)

    assert OutboundEmail.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.status == St.REVOKED


def test_a_held_invitation_cannot_be_resent_before_the_opening(draft_letter, owner):
    invitation = invite(draft_letter, owner)

    with pytest.raises(TransitionError):
        services.resend_invitation(invitation=invitation, actor=owner)

    assert OutboundEmail.objects.count() == 0


def test_an_import_to_a_draft_is_held_and_sent_when_it_opens(draft_letter, owner):
    invitation_import = upload(draft_letter, owner, CONTACTS)

    ids = services.confirm_import(invitation_import=invitation_import, actor=owner)

    assert len(ids) == 6
    assert OutboundEmail.objects.count() == 0
    assert services.held_invitations(draft_letter).count() == 6

    services.open_letter(letter=draft_letter, actor=owner)

    assert OutboundEmail.objects.filter(kind="invitation").count() == 6
    for invitation in Invitation.objects.filter(pk__in=ids):
        assert hash_of(secret_in(invitation.outbound_email)) == invitation.token_hash


def test_an_invitation_to_an_open_letter_is_not_held(open_letter, owner):
    invitation = invite(open_letter, owner)

    assert invitation.outbound_email_id is not None
    assert not services.held_invitations(open_letter).exists()


SENT_AT = dt.datetime(2030, 3, 10, 12, 0, tzinfo=dt.UTC)
EARLIER = dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("status", list(St))
@pytest.mark.parametrize("sent_before", [None, EARLIER])
def test_a_sent_email_is_followed_by_its_invitation_in_every_state(
    open_letter, owner, status, sent_before
):
    """follow_email_status's compiled UPDATE: queued or failed follow (sent, error cleared);
    any other state keeps its status and error, and records the time only if it had none."""
    invitation = invite(open_letter, owner)
    Invitation.objects.filter(pk=invitation.pk).update(
        status=status, sent_at=sent_before, last_error="451 try later"
    )
    other = invite(open_letter, owner, "other@tibetaction.example.net")

    changed = services.follow_email_status(
        email_id=invitation.outbound_email_id, status="sent", sent_at=SENT_AT
    )

    invitation.refresh_from_db()
    follows = status in (St.QUEUED, St.FAILED)
    assert changed == (1 if follows or sent_before is None else 0)
    assert invitation.status == (St.SENT if follows else status)
    assert invitation.last_error == ("" if follows else "451 try later")
    assert invitation.sent_at == (SENT_AT if follows or sent_before is None else sent_before)
    other.refresh_from_db()
    assert (other.status, other.sent_at) == (St.QUEUED, None)
