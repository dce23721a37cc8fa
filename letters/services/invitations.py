"""Invitations: inviting an organisation's contact, resending, revoking, the invitee's answers
(decline, pass on to a colleague), reminders before the deadline, and the invitation following
the delivery of its email. Inviting from a CSV file: services/invitation_imports.py.

Invitation: queued → sent → accepted | declined, plus failed, revoked, expired. `sent` and
`failed` follow the outbox row of the invitation's email (follow_email_status, called by the
outbox's signal). Every change is a conditional update or runs on a locked row, so a resend
racing a decline, or two coordinators at once, change an invitation once.

The link carries a secret derived from a stored seed (letters.tokens.invitation_secret); only
its hash identifies the invitation. A resend, a hand-over or a revocation changes the seed or
the status, and the old link stops working.
"""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError, NotAllowed, TransitionError
from core.locale import supported
from organisations.models import Organisation
from outbox.models import OutboundEmail
from webhooks.events import Event

from .. import contact_lists, emails, selectors, tokens
from ..models import Invitation, Letter
from ..models.invitations import email_index
from ..permissions import can_edit_letter
from .webhook_events import emit_invitation

Status = Invitation.Status
# Held invitations are emailed in chunks of this many at the opening (memory stays flat).
HELD_CHUNK = 1000


def check_can_invite(letter: Letter, actor: User) -> None:
    """Refuses anyone but the letter's coordinators, and a letter past collecting."""
    if not can_edit_letter(actor, letter):
        raise NotAllowed(_("Only the letter's coordinators can invite."))
    if not letter.is_inviting:
        raise TransitionError(
            _("Invitations can only be sent while the letter is a draft or open.")
        )


def new_link() -> tuple[str, str, str]:
    """(seed, secret, hash) for a fresh link."""
    seed = tokens.new_invitation_seed()
    secret = tokens.invitation_secret(seed)
    return seed, secret, tokens.hash_secret(secret)


def _give_new_link(invitation: Invitation) -> str:
    invitation.token_seed, secret, invitation.token_hash = new_link()
    return secret


# --- Which organisation a contact belongs to ----------------------------------------------------


# --- Inviting -----------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def invite(
    *,
    letter: Letter,
    actor: User,
    email: str,
    organisation: Organisation | None = None,
    organisation_name: str = "",
    contact_name: str = "",
    language: str = "",
) -> Invitation:
    """Invite one contact, in `language` (a configured code; empty: the letter's). The organisation is the one given, else the existing one of that
    name (or of the address's verified domain); an unknown one is registered when the invitee
    signs, with the details they give. The personal link goes out by email through the
    outbox; only the hash of its secret is stored."""
    # The letter's row lock orders this invitation with the letter's opening: invited before,
    # it is held and sent by the opening; after, it is sent now. Never held forever.
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    check_can_invite(letter, actor)
    email = email.strip()
    row = contact_lists.clean_cells(
        {
            "organisation": organisation.name if organisation else organisation_name,
            "contact_name": contact_name,
            "email": email,
        }
    )
    if not row["organisation"]:
        raise DomainError(_("Name the organisation you are inviting."))
    code = contact_lists.language_code(language)
    if code is None:
        raise DomainError(_("That language is not available."))
    errors = contact_lists.row_errors(row, contact_name_required=False)
    if errors:
        raise DomainError(" ".join(errors))
    index = email_index(row["email"])
    if Invitation.objects.filter(
        letter=letter, email_index=index, status__in=Invitation.LIVE
    ).exists():
        raise DomainError(
            _("%(email)s already has a live invitation to this letter.") % {"email": row["email"]}
        )
    if organisation is None:
        pair = (row["organisation"], row["email"])
        organisation = selectors.match_organisations([pair])[pair].organisation
    seed, secret, token_hash = new_link()
    try:
        with transaction.atomic():  # savepoint: the constraint decides between racing invites
            invitation = Invitation.objects.create(
                letter=letter,
                organisation=organisation,
                organisation_name=organisation.name if organisation else row["organisation"],
                contact_name=row["contact_name"],
                email=row["email"],
                email_index=index,
                language=code or letter.language,
                token_seed=seed,
                token_hash=token_hash,
                invited_by=actor,
            )
    except IntegrityError as exc:
        raise DomainError(
            _("%(email)s already has a live invitation to this letter.") % {"email": row["email"]}
        ) from exc
    record_event(
        action=Action.INVITATION_CREATED,
        actor=actor,
        organisation=organisation,
        target=invitation,
        data={"letter_id": letter.pk},
    )
    if letter.status == Letter.Status.DRAFT:
        # Held: a draft's link could not be used yet, so nothing is sent before the letter
        # opens (send_held_invitations); the link is rebuilt then from its seed.
        return invitation
    outbound = emails.invitation(invitation, secret)
    Invitation.objects.filter(pk=invitation.pk).update(outbound_email=outbound)
    invitation.outbound_email = outbound
    return invitation


def held_invitations(letter: Letter) -> QuerySet[Invitation]:
    """The invitations of a draft, kept until it opens: queued, no email ever written."""
    return Invitation.objects.filter(
        letter=letter, status=Status.QUEUED, outbound_email__isnull=True
    )


def send_held_invitations(letter: Letter) -> int:
    """Called by the letter's opening, in its transaction and under its row lock: the emails
    of every held invitation, through the outbox (sent after commit). Each link is rebuilt from
    its seed; one whose seed no longer matches (SECRET_KEY changed) gets a new link. Returns
    how many were queued. An invitation that got its email is no longer held, so a second call
    queues nothing."""
    held = list(held_invitations(letter).select_for_update(of=("self",)).order_by("pk"))
    sent = 0
    for chunk_start in range(0, len(held), HELD_CHUNK):
        chunk = held[chunk_start : chunk_start + HELD_CHUNK]
        pairs: list[tuple[Invitation, str]] = []
        for invitation in chunk:
            secret = tokens.current_invitation_secret(invitation.token_seed, invitation.token_hash)
            if secret is None:
                secret = _give_new_link(invitation)
            pairs.append((invitation, secret))
        for (invitation, _secret), email_id in zip(pairs, emails.invitations(pairs), strict=True):
            invitation.outbound_email_id = email_id
        Invitation.objects.bulk_update(chunk, ["outbound_email", "token_seed", "token_hash"])
        sent += len(chunk)
    return sent


# --- The coordinator's actions on one invitation, or on all failed ones ----------------------


def _locked_invitation(invitation: Invitation) -> Invitation:
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("letter", "organisation")
        .get(pk=invitation.pk)
    )


@transaction.atomic(durable=True)
def resend_invitation(*, invitation: Invitation, actor: User) -> Invitation:
    """Send the invitation again with a new link (the old one stops working): the secret is
    not stored, and a lost or failed email is the usual reason to resend."""
    invitation = _locked_invitation(invitation)
    check_can_invite(invitation.letter, actor)
    if invitation.status not in (Status.SENT, Status.FAILED):
        raise TransitionError(_("Only a sent or failed invitation can be sent again."))
    before = invitation.status
    secret = _give_new_link(invitation)
    invitation.status = Status.QUEUED
    invitation.last_error = ""
    try:
        with transaction.atomic():
            invitation.save(
                update_fields=["token_seed", "token_hash", "status", "last_error", "updated_at"]
            )
    except IntegrityError as exc:  # failed, and meanwhile invited again at the same address
        raise DomainError(
            _("%(email)s has a newer invitation to this letter.") % {"email": invitation.email}
        ) from exc
    outbound = emails.invitation(invitation, secret)
    Invitation.objects.filter(pk=invitation.pk).update(outbound_email=outbound)
    invitation.outbound_email = outbound
    record_event(
        action=Action.INVITATION_RESENT,
        actor=actor,
        organisation=invitation.organisation,
        target=invitation,
        data={"letter_id": invitation.letter_id, "from": before},
    )
    return invitation


@transaction.atomic(durable=True)
def resend_failed_invitations(*, letter: Letter, actor: User) -> int:
    """Every failed invitation of the letter again, each with a new link, in a few queries.
    Those whose address was invited again meanwhile are left as they are."""
    check_can_invite(letter, actor)
    failed = list(
        Invitation.objects.select_for_update(of=("self",))
        .filter(letter=letter, status=Status.FAILED)
        .select_related("letter")
        .order_by("pk")
    )
    if not failed:
        return 0
    live = set(
        Invitation.objects.filter(letter=letter, status__in=Invitation.LIVE)
        .values_list("email_index", flat=True)
        .iterator()
    )
    pairs = []
    for invitation in failed:
        if invitation.email_index in live:
            continue
        live.add(invitation.email_index)  # two failed ones to one address: the first wins
        secret = _give_new_link(invitation)
        invitation.status = Status.QUEUED
        invitation.last_error = ""
        pairs.append((invitation, secret))
    invitations = [inv for inv, _secret in pairs]
    for invitation, email_id in zip(invitations, emails.invitations(pairs), strict=True):
        invitation.outbound_email_id = email_id
        invitation.updated_at = timezone.now()
    try:
        with transaction.atomic():
            Invitation.objects.bulk_update(
                invitations,
                [
                    "token_seed",
                    "token_hash",
                    "status",
                    "last_error",
                    "outbound_email",
                    "updated_at",
                ],
                batch_size=1000,
            )
    except IntegrityError as exc:  # one of the addresses was invited again just now
        raise DomainError(
            _("Some of these addresses were invited again meanwhile. Please try once more.")
        ) from exc
    record_event(
        action=Action.INVITATIONS_RESENT_FAILED,
        actor=actor,
        target=letter,
        data={"count": len(invitations), "invitation_ids": [inv.pk for inv in invitations]},
    )
    return len(invitations)


@transaction.atomic(durable=True)
def revoke_invitation(*, invitation: Invitation, actor: User) -> Invitation:
    """The link stops working and no reminder will follow. An answered invitation stays
    answered."""
    invitation = _locked_invitation(invitation)
    if not can_edit_letter(actor, invitation.letter):
        raise NotAllowed(_("Only the letter's coordinators can revoke invitations."))
    if invitation.status not in (Status.QUEUED, Status.SENT, Status.FAILED):
        raise TransitionError(_("This invitation was already answered, revoked or expired."))
    before = invitation.status
    invitation.status = Status.REVOKED
    invitation.save(update_fields=["status", "updated_at"])
    record_event(
        action=Action.INVITATION_REVOKED,
        actor=actor,
        organisation=invitation.organisation,
        target=invitation,
        data={"letter_id": invitation.letter_id, "from": before},
    )
    return invitation


# --- The invitee's answers, through the link -------------------------------------------------


def _live_for_answer(invitation: Invitation) -> Invitation:
    invitation = _locked_invitation(invitation)
    if not invitation.is_live:
        raise TransitionError(_("This invitation link no longer works."))
    if not invitation.letter.is_inviting:
        raise TransitionError(_("This letter is no longer collecting signatures."))
    return invitation


@transaction.atomic(durable=True)
def decline_invitation(*, invitation: Invitation, reason: str = "") -> Invitation:
    """The invitee says their organisation will not sign. No reminder follows; the
    coordinators see the reason, if one was given."""
    invitation = _live_for_answer(invitation)
    now = timezone.now()
    invitation.status = Status.DECLINED
    invitation.responded_at = now
    invitation.decline_reason = reason.strip()[:1000]
    invitation.save(update_fields=["status", "responded_at", "decline_reason", "updated_at"])
    record_event(
        action=Action.INVITATION_DECLINED,
        organisation=invitation.organisation,
        target=invitation,
        # Not the reason itself: it is free text from the invitee, stored encrypted on the
        # invitation (issue 12); the audit trail keeps no personal data.
        data={"letter_id": invitation.letter_id, "reason_given": bool(invitation.decline_reason)},
    )
    emit_invitation(invitation=invitation, event=Event.INVITATION_DECLINED)
    return invitation


@transaction.atomic(durable=True)
def forward_invitation(*, invitation: Invitation, contact_name: str, email: str) -> Invitation:
    """The invitee passes the invitation to the right person at their organisation. The new
    contact gets a link of their own; the old link stops working. If the new address already
    has a live invitation, that one stands and no second is sent (the answer is the same, so
    a link cannot be used to learn who else was invited)."""
    invitation = _live_for_answer(invitation)
    row = contact_lists.clean_cells(
        {"organisation": invitation.organisation_name, "contact_name": contact_name, "email": email}
    )
    errors = contact_lists.row_errors(row)
    if errors:
        raise DomainError(" ".join(errors))
    contact_name, email = row["contact_name"], row["email"]
    index = email_index(email)
    if index == invitation.email_index:
        raise DomainError(_("That is the address this invitation was sent to."))
    invitation.status = Status.REVOKED
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at", "updated_at"])
    existing = Invitation.objects.filter(
        letter=invitation.letter, email_index=index, status__in=Invitation.LIVE
    ).first()
    if existing is not None:
        record_event(
            action=Action.INVITATION_FORWARDED,
            organisation=invitation.organisation,
            target=invitation,
            data={"letter_id": invitation.letter_id, "to_invitation": existing.pk},
        )
        return existing
    seed, secret, token_hash = new_link()
    successor = Invitation.objects.create(
        letter=invitation.letter,
        organisation=invitation.organisation,
        organisation_name=invitation.organisation_name,
        contact_name=contact_name,
        email=email,
        email_index=index,
        # Passed on in the language of the page it was passed on from.
        language=supported(translation.get_language()) or invitation.language,
        token_seed=seed,
        token_hash=token_hash,
        invited_by=invitation.invited_by,
        forwarded_from=invitation,
    )
    record_event(
        action=Action.INVITATION_FORWARDED,
        organisation=invitation.organisation,
        target=invitation,
        data={"letter_id": invitation.letter_id, "to_invitation": successor.pk},
    )
    outbound = emails.invitation(successor, secret)
    Invitation.objects.filter(pk=successor.pk).update(outbound_email=outbound)
    successor.outbound_email = outbound
    return successor


# --- Delivery, reminders, expiry ------------------------------------------------------------------


_INVITATIONS = Invitation._meta.db_table
# Every SET expression reads the row as it was (PostgreSQL and SQLite alike).
_FOLLOW_SENT_SQL = (
    f"UPDATE {_INVITATIONS} SET "  # noqa: S608 - the table's name, the values are parameters
    f"status = CASE WHEN status IN (%(queued)s, %(failed)s) THEN %(sent)s ELSE status END, "
    f"sent_at = %(sent_at)s, "
    f"last_error = CASE WHEN status IN (%(queued)s, %(failed)s) THEN '' ELSE last_error END, "
    f"updated_at = %(now)s "
    f"WHERE outbound_email_id = %(email_id)s "
    f"AND (status IN (%(queued)s, %(failed)s) OR sent_at IS NULL)"
)


def follow_email_status(
    *, email_id: int, status: str, error: str = "", sent_at: dt.datetime | None = None
) -> int:
    """The outbox marked an email sent or failed for good: the invitation whose latest email it
    is follows, in one UPDATE inside the outbox's transaction. Sent: a queued (or failed, then
    retried) invitation becomes sent at the email's time; one revoked or answered before the
    worker got to it keeps its status but records when its email went out. Failed: a queued
    invitation fails; a failed reminder leaves the invitation sent and shows the error."""
    now = timezone.now()
    invitations = Invitation.objects.filter(outbound_email_id=email_id)
    if status == OutboundEmail.Status.SENT:
        # Once per email of a fan-out: the UPDATE the ORM would write (a Case per column),
        # compiled once. tests/letters compare it with the ORM's result.
        with connection.cursor() as cursor:
            cursor.execute(
                _FOLLOW_SENT_SQL,
                {
                    "queued": Status.QUEUED,
                    "failed": Status.FAILED,
                    "sent": Status.SENT,
                    "sent_at": sent_at or now,
                    "now": now,
                    "email_id": email_id,
                },
            )
            return int(cursor.rowcount)
    if status == OutboundEmail.Status.FAILED:
        return invitations.filter(status__in=[Status.QUEUED, Status.SENT]).update(
            status=Case(When(status=Status.QUEUED, then=Value(Status.FAILED)), default=F("status")),
            last_error=error,
            updated_at=now,
        )
    return 0


def _reminder_window(letter: Letter) -> dt.datetime | None:
    if letter.deadline is None or not letter.reminder_days_before:
        return None
    return letter.deadline - dt.timedelta(days=letter.reminder_days_before)


def _reminder_candidates(letter: Letter, *, now: dt.datetime) -> QuerySet[Invitation]:
    """Invitations of `letter` due a reminder now: sent (so neither answered, revoked, failed
    nor still queued), sent at least INVITATION_REMINDER_MIN_AGE_HOURS ago, and not reminded
    since this deadline's window opened."""
    window = _reminder_window(letter)
    if (
        window is None
        or letter.deadline is None
        or letter.status != Letter.Status.OPEN
        or not (window <= now < letter.deadline)
    ):
        return Invitation.objects.none()
    min_age = dt.timedelta(hours=settings.INVITATION_REMINDER_MIN_AGE_HOURS)
    return Invitation.objects.filter(
        letter=letter, status=Status.SENT, sent_at__lte=now - min_age
    ).filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=window))


REMINDER_BATCH = 500


def send_invitation_reminders(*, now: dt.datetime | None = None) -> int:
    """Beat, hourly: one reminder per unanswered invitation when its letter's reminder window
    opens (N days before the deadline). Idempotent: each batch is claimed by setting
    reminded_at on locked rows, in the transaction that queues the emails."""
    now = now or timezone.now()
    total = 0
    letters = Letter.objects.filter(
        status=Letter.Status.OPEN, deadline__gt=now, reminder_days_before__gt=0
    )
    for letter in letters:
        while True:
            reminded = _remind_batch(letter, now=now)
            total += reminded
            if reminded < REMINDER_BATCH:
                break
    return total


@transaction.atomic
def _remind_batch(letter: Letter, *, now: dt.datetime) -> int:
    batch = list(
        _reminder_candidates(letter, now=now)
        .select_for_update(skip_locked=True)
        .order_by("pk")[:REMINDER_BATCH]
    )
    if not batch:
        return 0
    pairs = []
    for invitation in batch:
        invitation.letter = letter
        secret = tokens.current_invitation_secret(invitation.token_seed, invitation.token_hash)
        if secret is None:  # no seed to rebuild the link from: the reminder carries a new one
            secret = _give_new_link(invitation)
        invitation.reminded_at = now
        invitation.reminder_count = F("reminder_count") + 1
        pairs.append((invitation, secret))
    for invitation, email_id in zip(batch, emails.invitation_reminders(pairs), strict=True):
        invitation.outbound_email_id = email_id
    Invitation.objects.bulk_update(
        batch,
        ["reminded_at", "reminder_count", "token_seed", "token_hash", "outbound_email"],
        batch_size=1000,
    )
    record_event(
        action=Action.INVITATIONS_REMINDED,
        target=letter,
        data={"count": len(batch), "invitation_ids": [inv.pk for inv in batch]},
    )
    return len(batch)


def expire_invitations(*, now: dt.datetime | None = None) -> int:
    """Beat: the links of a published letter's invitations expire (nothing is left to sign)."""
    now = now or timezone.now()
    return Invitation.objects.filter(
        letter__status=Letter.Status.PUBLISHED,
        status__in=[Status.QUEUED, Status.SENT, Status.FAILED],
    ).update(status=Status.EXPIRED, updated_at=now)
