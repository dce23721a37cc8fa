"""Signing on behalf of an organisation, and everything that happens to a signature after.

Signature: pending_confirmation → pending_review → approved | rejected; auto-approval goes
straight to approved; withdrawn from any live state until publication; unconfirmed ones expire.
Only confirmed signatures (COUNTED) hold the organisation's one place on a letter: a
confirmation that finds it taken ends `duplicate` (told to the organisation, not to whoever
confirmed), and one that holds it on no authority gives way to a signer with authority.
State changes are conditional updates ("only if still in state X"), so two clicks, two tabs or
two moderators at once change a signature once and the loser gets a clear error.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import detach_organisation, record_event
from core.errors import DomainError, NotAllowed, TransitionError
from core.locale import supported
from organisations import services as organisation_services
from organisations.models import Organisation, same_name_q
from organisations.names import normalise_name
from organisations.selectors import admin_emails_of, is_member, writes_from_verified_domain
from webhooks.events import Event

from .. import emails, selectors, tokens
from ..models import Invitation, Letter, LetterTranslation, LetterVersion, Signature
from ..models.invitations import normalised_email
from ..models.signatures import ORGANISATION_COLUMNS
from .publication import invalidate_public_list
from .webhook_events import emit, emit_signature, invitation_data

Status = Signature.Status


class AlreadySigned(DomainError):
    """The organisation has a live signature on this letter. Deliberately says nothing of who
    signed or in which state beyond 'signed or pending'."""

    def __init__(self, organisation: Organisation) -> None:
        super().__init__(
            _(
                "This organisation has already signed this letter, or a signature for it is "
                "awaiting confirmation or review. If you think this is a mistake, contact the "
                "letter's coordinators."
            )
        )
        self.organisation = organisation


@dataclass(frozen=True)
class OrganisationChoice:
    """Who the signer signs for: an existing organisation, or a new one they propose."""

    organisation: Organisation | None = None
    new_name: str = ""
    based_in: str = ""


def _resolve_proposed(name: str, based_in: str, *, withheld: bool = False) -> Organisation:
    """The organisation a confirmed signer typed: the registered one of that name (or the one
    a duplicate of it was merged into), else a new, unverified one — sealed (its name stored
    encrypted) when the signature is withheld: it exists only because of that signature.
    Only ever called when the signer has confirmed: a probe of the form creates nothing."""
    existing = Organisation.objects.filter(same_name_q(name)).first()
    # A duplicate merged away keeps its name (so it cannot be registered again): signing for
    # it signs for the organisation it was merged into.
    while existing is not None and existing.merged_into_id is not None:
        existing = existing.merged_into
    if existing is not None:
        return existing
    try:
        return organisation_services.create_organisation(
            name=name, based_in=based_in, created_by=None, sealed=withheld
        )
    except organisation_services.DuplicateOrganisation as exc:  # created meanwhile
        return exc.existing


def _authority(*, organisation: Organisation, email: str, user: User | None) -> str:
    if writes_from_verified_domain(organisation, email):
        return Signature.Authority.VERIFIED_DOMAIN
    if organisation.is_verified and is_member(user, organisation):
        return Signature.Authority.MEMBERSHIP
    return Signature.Authority.NONE


def _auto_approves(signature: Signature) -> bool:
    """The letter's policy approves at once a verified organisation whose signer's address is
    at one of its verified domains — or who signed as a logged-in member of it: membership is
    granted by the organisation's administrators and accepted from a confirmed address."""
    organisation = signature.confirmed_organisation
    if not (
        signature.letter.moderation_policy == Letter.ModerationPolicy.AUTO_VERIFIED
        and organisation.is_verified
    ):
        return False
    if signature.authority == Signature.Authority.MEMBERSHIP:
        return True
    return writes_from_verified_domain(organisation, signature.signer_email)


# Django's ORM has no FOR SHARE (select_for_update is FOR UPDATE or FOR NO KEY UPDATE).
_SHARE_LOCKED_LETTER = 'SELECT * FROM "letters_letter" WHERE "id" = %s FOR SHARE'


def _letter_for_signing(letter_id: int, *, exclusive: bool) -> Letter:
    """The letter, locked against any change of its state until the signature is saved.

    Status changes (open, close, publish) and every change of the list take the letter's row
    FOR UPDATE; a submission that changes neither takes it FOR SHARE, which waits for those
    and lets other submissions through: 8 visitors signing for 8 organisations of one letter
    no longer commit one at a time (issue 16, goal 5), and a letter still cannot close while
    a signature is being written to it. PostgreSQL only: SQLite has no row locks (its writes
    are serialised anyway), so there `exclusive` or not is the same lock."""
    if exclusive or connection.vendor != "postgresql":
        return Letter.objects.select_for_update().get(pk=letter_id)
    found = list(Letter.objects.raw(_SHARE_LOCKED_LETTER, [letter_id]))  # noqa: S611
    if not found:
        raise Letter.DoesNotExist
    return found[0]


@transaction.atomic(durable=True)
def sign_letter(
    *,
    letter: Letter,
    organisation: OrganisationChoice,
    signer_name: str,
    signer_email: str,
    signer_title: str = "",
    visibility: str = Signature.Visibility.PUBLIC,
    show_signer_name: bool = False,
    consent: bool,
    invitation: Invitation | None = None,
    user: User | None = None,
    language: str = "",
    translation: LetterTranslation | None = None,
) -> Signature:
    """Record a signature, awaiting the signer's email confirmation.

    `language`: the page's (the signer's emails are in it); `translation`: the one they read
    beside the authoritative text, recorded with its hash. What they sign is the current
    authoritative version, whatever they read.

    Two signers confirm in one step, their address being proven already, so the signature goes
    straight to review (or approval): a logged-in member of the organisation signing with their
    confirmed account email, and an invitee signing through their personal link with the address
    it was emailed to (they get a receipt instead of the confirmation email).
    """
    if not consent:
        raise DomainError(_("Please accept the privacy notice to sign."))
    # A visitor's submission only adds a row that awaits its confirmation: it changes nothing
    # on the letter, so many may proceed at once (a shared lock). A member's or an invitee's
    # may confirm, approve and bump the letter's list at once: those take it alone.
    letter = _letter_for_signing(
        letter.pk, exclusive=invitation is not None or bool(user and user.is_authenticated)
    )
    if not letter.is_accepting_signatures:
        raise TransitionError(_("This letter is not collecting signatures."))
    if invitation is not None:
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.letter_id != letter.pk or not invitation.is_live:
            raise NotAllowed(_("This invitation link is no longer valid."))
        # The invitation vouches for the organisation it names, and for no other.
        if invitation.organisation is not None:
            organisation = OrganisationChoice(organisation=invitation.organisation)
        else:
            organisation = OrganisationChoice(
                new_name=invitation.organisation_name, based_in=organisation.based_in
            )
    elif letter.sign_on_mode != Letter.SignOnMode.OPEN:
        raise NotAllowed(_("This letter can only be signed by invitation."))

    # A name typed in the form (or an invitation to an unregistered organisation) is kept as
    # typed until the signer confirms: nothing is looked up or created for an unconfirmed
    # submission, and it holds no place (Signature.COUNTED).
    org = organisation.organisation
    if org is None and not normalise_name(organisation.new_name):
        raise DomainError(_("Enter the organisation's name."))
    version = selectors.current_version_of(letter)
    if translation is not None and translation.letter_id != letter.pk:
        raise NotAllowed(_("That translation is not of this letter."))
    one_step = bool(
        org is not None
        and user is not None
        and user.is_authenticated
        and user.email.lower() == signer_email.strip().lower()
        and is_member(user, org)
    )
    # The personal link reached only the invitation's address: whoever signs with that address
    # through it has proven it, as a click on a confirmation link would. Another address is
    # unproven and confirms by email.
    invitee_one_step = bool(
        not one_step
        and invitation is not None
        and normalised_email(invitation.email) == normalised_email(signer_email)
    )
    now = timezone.now()
    signature = Signature(
        letter=letter,
        proposed_organisation_name="" if org else " ".join(organisation.new_name.split()),
        proposed_based_in=" ".join(organisation.based_in.split()),
        version=version,
        version_hash=version.content_hash,
        language=supported(language) or "",
        translation=translation,
        translation_hash=translation.content_hash if translation is not None else "",
        signer_name=" ".join(signer_name.split()),
        signer_title=" ".join(signer_title.split()),
        signer_email=signer_email.strip(),
        visibility=visibility,
        show_signer_name=show_signer_name,
        authority=Signature.Authority.INVITATION
        if invitation is not None
        else _authority(organisation=org, email=signer_email, user=user)
        if org is not None
        else Signature.Authority.NONE,
        invitation=invitation,
        submitted_by=user if user is not None and user.is_authenticated else None,
        consented_at=now,
    )
    signature.organisation = org  # in clear or encrypted, as the visibility asks
    signature.save()
    if invitation is not None:
        invitation.status = Invitation.Status.ACCEPTED
        invitation.responded_at = now
        invitation.save(update_fields=["status", "responded_at", "updated_at"])
        _place_invitation_organisation(signature)
        emit(
            letter=letter,
            event=Event.INVITATION_ACCEPTED,
            data=lambda: invitation_data(invitation),
        )
    record_event(
        action=Action.SIGNATURE_SUBMITTED,
        actor=signature.submitted_by,
        organisation=signature.public_organisation,
        target=signature,
        data={
            "letter_id": letter.pk,
            "version": version.number,
            "authority": signature.authority,
            **(
                {"translation": f"{translation.language} {translation.number}"}
                if translation is not None
                else {}
            ),
        },
    )
    if one_step:
        # A member signing with their own confirmed address may be told that their
        # organisation has signed already (AlreadySigned rolls the submission back).
        _confirm(signature, now=now, member=True)
    elif invitee_one_step:
        # The receipt is queued before the signature takes its place, so it cannot differ
        # whether or not the organisation had signed already: an invitee is not necessarily
        # a member, and is told what any confirmed signer is told (a duplicate is recorded and
        # told to the organisation, as by the confirmation link). Issue 11, README.
        emails.signature_receipt(signature)
        _confirm(signature, now=now)
    else:
        emails.confirmation_request(signature)
    return signature


def submit_signature(
    *,
    letter: Letter,
    organisation: OrganisationChoice,
    signer_name: str,
    signer_email: str,
    signer_title: str = "",
    visibility: str = Signature.Visibility.PUBLIC,
    show_signer_name: bool = False,
    consent: bool,
    invitation: Invitation | None = None,
    user: User | None = None,
    language: str = "",
    translation: LetterTranslation | None = None,
) -> Signature:
    """The sign form. Whoever submits it gets the same answer and the same confirmation email
    (or, an invitee with their invited address, the same receipt) whether or not the
    organisation has signed (issue 11): an unconfirmed submission holds no place, so it never
    collides, and an invitee's duplicate looks like a signature awaiting review. Only a
    logged-in member signing in one step is told of a collision: AlreadySigned is raised."""
    return sign_letter(
        letter=letter,
        organisation=organisation,
        signer_name=signer_name,
        signer_email=signer_email,
        signer_title=signer_title,
        visibility=visibility,
        show_signer_name=show_signer_name,
        consent=consent,
        invitation=invitation,
        user=user,
        language=language,
        translation=translation,
    )


def _resolve_on_confirmation(signature: Signature) -> None:
    """Give a typed name its organisation now that the signer has proven their address, and
    establish their authority for it (an invitation's stays)."""
    if signature.organisation_id is not None:
        return
    org = _resolve_proposed(
        signature.proposed_organisation_name,
        signature.proposed_based_in,
        withheld=signature.visibility != Signature.Visibility.PUBLIC,
    )
    signature.organisation = org
    if signature.authority != Signature.Authority.INVITATION:
        signature.authority = _authority(
            organisation=org, email=signature.signer_email, user=signature.submitted_by
        )
    signature.save(update_fields=[*ORGANISATION_COLUMNS, "authority", "updated_at"])

    invitation = signature.invitation
    if invitation is not None and invitation.invited_organisation is None:
        _place_invitation_organisation(signature, organisation=org)


def _place_invitation_organisation(
    signature: Signature, *, organisation: Organisation | None = None
) -> None:
    """The invitation a signature answered names its organisation in clear only while that
    does not tell which organisation signed withheld: an accepted invitation of a withheld
    signature keeps it encrypted (sealed_organisation); any other, in clear."""
    if signature.invitation_id is None:
        return
    invitation = Invitation.objects.select_for_update().get(pk=signature.invitation_id)
    organisation = organisation or invitation.invited_organisation
    if organisation is None:
        return
    if (
        invitation.status == Invitation.Status.ACCEPTED
        and signature.visibility != Signature.Visibility.PUBLIC
    ):
        invitation.organisation, invitation.sealed_organisation = None, str(organisation.pk)
    else:
        invitation.organisation, invitation.sealed_organisation = organisation, ""
    invitation.save(update_fields=["organisation", "sealed_organisation", "updated_at"])
    signature.invitation = invitation


def _take_place(signature: Signature, to: str, *, now: dt.datetime) -> bool:
    """Move a pending confirmation to `to`, taking the organisation's one counted place.
    False when another confirmed signature holds it. One that holds it only on an
    unverified claim (awaiting review, no authority) gives way to a signer with authority:
    a stranger who typed the name and confirmed with their own address cannot keep out an
    invitee, a member or someone writing from the organisation's verified domain."""
    for _attempt in range(2):
        try:
            with transaction.atomic():  # savepoint: the constraint decides between racers
                won = Signature.objects.filter(
                    pk=signature.pk, status=Status.PENDING_CONFIRMATION
                ).update(
                    status=to,
                    confirmed_at=now,
                    decided_at=now if to == Status.APPROVED else None,
                    updated_at=now,
                )
        except IntegrityError:
            holder = (
                Signature.objects.select_for_update()
                .on_letter_of(
                    letter_id=signature.letter_id, organisation=signature.confirmed_organisation
                )
                .filter(status__in=Signature.COUNTED)
                .first()
            )
            if holder is None:
                continue  # withdrawn meanwhile: try again
            if not (
                holder.status == Status.PENDING_REVIEW
                and holder.authority == Signature.Authority.NONE
                and signature.authority != Signature.Authority.NONE
            ):
                return False
            Signature.objects.filter(pk=holder.pk).update(status=Status.DUPLICATE, updated_at=now)
            record_event(
                action=Action.SIGNATURE_SUPERSEDED,
                organisation=holder.public_organisation,
                target=holder,
                reason=_("A signer with authority for the organisation confirmed."),
                data={"letter_id": holder.letter_id, "by": signature.pk},
            )
            continue
        if not won:
            raise TransitionError(_("This signature has already been confirmed."))
        return True
    return False


def _unseal_if_public(signature: Signature) -> None:
    """A public signature gives its organisation a public existence: its name in clear."""
    organisation = signature.organisation
    if (
        organisation is not None
        and organisation.is_sealed
        and signature.visibility == Signature.Visibility.PUBLIC
    ):
        signature.organisation = organisation_services.unseal_organisation(
            organisation=organisation
        )


def _seal_if_withheld_only(signature: Signature) -> None:
    """An organisation known only through withheld signatures (no public one, no invitation
    naming it) has its name stored encrypted again (organisations decides what else keeps
    it public)."""
    organisation = signature.organisation
    if (
        organisation is None
        or organisation.is_sealed
        or Signature.objects.filter(public_organisation=organisation).exists()
        or Invitation.objects.filter(organisation=organisation).exists()
    ):
        return
    if organisation_services.seal_organisation(organisation=organisation):
        organisation.refresh_from_db()


def _confirm(signature: Signature, *, now: dt.datetime, member: bool = False) -> Signature:
    _resolve_on_confirmation(signature)
    _unseal_if_public(signature)
    to = Status.APPROVED if _auto_approves(signature) else Status.PENDING_REVIEW
    if not _take_place(signature, to, now=now):
        if member:
            raise AlreadySigned(signature.confirmed_organisation)
        return _not_counted(signature, now=now)
    signature.refresh_from_db()
    record_event(
        action=Action.SIGNATURE_CONFIRMED,
        actor=signature.submitted_by,
        organisation=signature.public_organisation,
        target=signature,
        data={"letter_id": signature.letter_id, "status": to},
    )
    emit_signature(signature=signature, event=Event.SIGNATURE_CONFIRMED)
    if to == Status.APPROVED:
        emit_signature(signature=signature, event=Event.SIGNATURE_APPROVED)
        record_event(
            action=Action.SIGNATURE_AUTO_APPROVED,
            organisation=signature.public_organisation,
            target=signature,
            reason=_("Verified organisation, signer's email at a verified domain."),
            data={"letter_id": signature.letter_id},
        )
        emails.signature_approved(signature)
        invalidate_public_list(letter_ids=[signature.letter_id])
    return signature


def organisation_contacts(organisation: Organisation, *, holder: Signature | None) -> list[str]:
    """Addresses the organisation controls: its administrators, and whoever signed for it."""
    addresses = {email.lower(): email for email in admin_emails_of(organisation)}
    if holder is not None:
        addresses.setdefault(holder.signer_email.lower(), holder.signer_email)
    return sorted(addresses.values())


def _not_counted(signature: Signature, *, now: dt.datetime) -> Signature:
    """The organisation had signed already. The signer is not told (they may be anyone who
    typed its name); the addresses the organisation controls are: whoever signed for it,
    and its administrators."""
    Signature.objects.filter(pk=signature.pk, status=Status.PENDING_CONFIRMATION).update(
        status=Status.DUPLICATE, confirmed_at=now, updated_at=now
    )
    signature.refresh_from_db()
    record_event(
        action=Action.SIGNATURE_DUPLICATE,
        actor=signature.submitted_by,
        organisation=signature.public_organisation,
        target=signature,
        reason=_("The organisation had signed already."),
        data={"letter_id": signature.letter_id},
    )
    organisation = signature.confirmed_organisation
    holder = (
        Signature.objects.on_letter_of(letter_id=signature.letter_id, organisation=organisation)
        .filter(status__in=Signature.COUNTED)
        .first()
    )
    emails.duplicate_signature_notice(
        attempt=signature,
        recipients=organisation_contacts(organisation, holder=holder),
    )
    return signature


@transaction.atomic(durable=True)
def confirm_signature(*, signature: Signature) -> Signature:
    """The signer clicked the button behind their confirmation link."""
    signature = Signature.objects.select_related("letter", "public_organisation").get(
        pk=signature.pk
    )
    if signature.status != Status.PENDING_CONFIRMATION:
        raise TransitionError(_("This signature has already been confirmed, or is no longer live."))
    if signature.letter.status == Letter.Status.PUBLISHED:
        raise TransitionError(_("The letter has been published; it can no longer be signed."))
    return _confirm(signature, now=timezone.now())


@transaction.atomic
def withdraw_signature(*, signature: Signature, actor: User | None = None) -> Signature:
    """Withdraw a live signature. `actor` is None when the signer used their emailed link; a
    logged-in member of the organisation otherwise. Possible after publication too: an
    organisation that becomes endangered must be able to leave the public list. The delivery
    record keeps what was delivered; public pages then count it as withdrawn after delivery,
    without its name."""
    signature = Signature.objects.select_related("letter", "public_organisation").get(
        pk=signature.pk
    )
    if actor is not None and not is_member(actor, signature.organisation):
        raise NotAllowed(_("Only members of the organisation can withdraw its signature."))
    now = timezone.now()
    # By the emailed link a duplicate is withdrawn like any other (telling its holder it is
    # a duplicate would tell them the organisation signed); a member knows already.
    withdrawable = Signature.SIGNER_LIVE if actor is None else Signature.LIVE
    won = Signature.objects.filter(pk=signature.pk, status__in=withdrawable).update(
        status=Status.WITHDRAWN, withdrawn_at=now, updated_at=now
    )
    if not won:
        raise TransitionError(_("This signature is no longer live: nothing to withdraw."))
    signature.refresh_from_db()
    if signature.letter.status != Letter.Status.PUBLISHED:
        _reopen_invitation(signature, now=now)
    record_event(
        action=Action.SIGNATURE_WITHDRAWN,
        actor=actor,
        organisation=signature.public_organisation,
        target=signature,
        data={"letter_id": signature.letter_id},
    )
    emit_signature(signature=signature, event=Event.SIGNATURE_WITHDRAWN)
    emails.signature_withdrawn(signature)
    emails.signature_changed(signature, withdrawn=True, include_signer=False)
    invalidate_public_list(letter_ids=[signature.letter_id])
    return signature


# How far a visibility shows an organisation: a change to a higher rank, or to showing the
# signer's name, widens it.
_VISIBILITY_RANK = {
    Signature.Visibility.COUNTED_ONLY: 0,
    Signature.Visibility.RECIPIENT_ONLY: 1,
    Signature.Visibility.PUBLIC: 2,
}


def widens(signature: Signature, *, visibility: str, show_signer_name: bool) -> bool:
    """Would this change show the organisation (or the signer's name) more widely?"""
    return _VISIBILITY_RANK[Signature.Visibility(visibility)] > _VISIBILITY_RANK[
        Signature.Visibility(signature.visibility)
    ] or (show_signer_name and not signature.show_signer_name)


class WideningNeedsConfirmation(NotAllowed):
    """The emailed manage link may only narrow: widening asks the signer's address first."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This link can only make your organisation less visible. To show it more "
                "widely, confirm with the link we email to the signer's address."
            )
        )


def _changeable(signature: Signature, visibility: str, *, by_link: bool = True) -> Signature:
    """The signature, locked, if its visibility may still change at all. By the emailed links
    a duplicate changes like any other (its holder must not learn it is one)."""
    if visibility not in Signature.Visibility.values:
        raise DomainError(_("Unknown visibility."))
    signature = (
        Signature.objects.select_for_update(of=("self",))
        .select_related("letter", "public_organisation")
        .get(pk=signature.pk)
    )
    if signature.letter.status == Letter.Status.PUBLISHED:
        raise TransitionError(_("The letter has been published; its list is final."))
    if signature.status not in (Signature.SIGNER_LIVE if by_link else Signature.LIVE):
        raise TransitionError(_("This signature is no longer live."))
    return signature


def _apply_visibility(
    signature: Signature, *, visibility: str, show_signer_name: bool, actor: User | None
) -> Signature:
    before = (signature.visibility, signature.show_signer_name)
    if before == (visibility, show_signer_name):
        return signature
    signature.visibility = visibility
    signature.show_signer_name = show_signer_name
    signature.save(update_fields=["visibility", "show_signer_name", "updated_at"])
    if visibility != Signature.Visibility.PUBLIC:
        # Now withheld: no row may say in clear which organisation it is, the trail neither.
        detach_organisation(target=signature)
        _seal_if_withheld_only(signature)
    else:
        _unseal_if_public(signature)
    _place_invitation_organisation(signature)
    record_event(
        action=Action.SIGNATURE_VISIBILITY_CHANGED,
        actor=actor,
        organisation=signature.public_organisation,
        target=signature,
        data={
            "letter_id": signature.letter_id,
            "from": before[0],
            "to": visibility,
            "show_signer_name": show_signer_name,
        },
    )
    emails.signature_changed(signature, before=before)
    invalidate_public_list(letter_ids=[signature.letter_id])
    return signature


@transaction.atomic(durable=True)
def change_visibility(
    *,
    signature: Signature,
    visibility: str,
    show_signer_name: bool,
    actor: User,
) -> Signature:
    """A logged-in member of the organisation changes how it appears, either way, until
    publication. The signer and the organisation's admins are told by email."""
    if not is_member(actor, signature.organisation):
        raise NotAllowed(_("Only members of the organisation can change its signature."))
    signature = _changeable(signature, visibility, by_link=False)
    return _apply_visibility(
        signature, visibility=visibility, show_signer_name=show_signer_name, actor=actor
    )


@transaction.atomic(durable=True)
def narrow_visibility(
    *, signature: Signature, visibility: str, show_signer_name: bool
) -> Signature:
    """Through the emailed manage link: the organisation may only become less visible
    (public → recipient only → counted only, the signer's name hidden). A widening raises
    WideningNeedsConfirmation and changes nothing."""
    signature = _changeable(signature, visibility)
    if widens(signature, visibility=visibility, show_signer_name=show_signer_name):
        raise WideningNeedsConfirmation()
    return _apply_visibility(
        signature, visibility=visibility, show_signer_name=show_signer_name, actor=None
    )


def _fingerprint(signature: Signature) -> str:
    return tokens.state_fingerprint(
        visibility=signature.visibility,
        show_signer_name=signature.show_signer_name,
        updated_at=signature.updated_at.isoformat(),
    )


@transaction.atomic(durable=True)
def request_widening(*, signature: Signature, visibility: str, show_signer_name: bool) -> str:
    """Email the signer's address a link that makes this one change, for an hour, once;
    returns its token. Nothing changes now. Refuses a change that does not widen."""
    signature = _changeable(signature, visibility)
    if not widens(signature, visibility=visibility, show_signer_name=show_signer_name):
        raise DomainError(_("This change does not need a confirmation."))
    token = tokens.make_widening_token(
        signature_id=signature.pk,
        visibility=visibility,
        show_signer_name=show_signer_name,
        state=_fingerprint(signature),
    )
    emails.widening_request(
        signature,
        token=token,
        visibility=visibility,
        show_signer_name=show_signer_name,
        state=_fingerprint(signature),
    )
    return token


def signature_for_widening(token: str) -> tuple[Signature, tokens.WideningLink]:
    """The signature and the change a widening link asks for, if the link still works: signed,
    within the hour, and the signature unchanged since it was sent. Raises tokens.BadLink."""
    link = tokens.read_widening_token(token)
    signature = (
        Signature.objects.select_related("letter", "public_organisation", "version")
        .filter(pk=link.signature_id)
        .first()
    )
    if signature is None or _fingerprint(signature) != link.state:
        raise tokens.BadLink("invalid")
    return signature, link


@transaction.atomic(durable=True)
def confirm_widening(*, token: str) -> Signature:
    """The signer confirms, from their own inbox, the widening they asked for. Works once: the
    change alters the state the link names."""
    try:
        signature, link = signature_for_widening(token)
    except tokens.BadLink as exc:
        raise TransitionError(_("This link no longer works. Nothing was changed.")) from exc
    signature = _changeable(signature, link.visibility)
    if _fingerprint(signature) != link.state:  # changed while we were locking it
        raise TransitionError(_("This link no longer works. Nothing was changed."))
    return _apply_visibility(
        signature,
        visibility=link.visibility,
        show_signer_name=link.show_signer_name,
        actor=None,
    )


@transaction.atomic(durable=True)
def reconfirm_signature(*, signature: Signature, version_number: int) -> Signature:
    """The signer agrees to the current text after a substantive change."""
    signature = Signature.objects.select_for_update().select_related("letter").get(pk=signature.pk)
    current = selectors.current_version_of(signature.letter)
    if version_number != current.number:
        raise TransitionError(
            _("The text changed again since this link was sent: use the newest email.")
        )
    if signature.status not in Signature.SIGNER_LIVE:
        raise TransitionError(_("This signature is no longer live."))
    if signature.letter.status == Letter.Status.PUBLISHED:
        raise TransitionError(_("The letter has been published."))
    if signature.version_id == current.pk:
        raise TransitionError(_("You have already confirmed this version."))
    previous = signature.version.number
    signature.version = current
    signature.version_hash = current.content_hash
    signature.save(update_fields=["version", "version_hash", "updated_at"])
    record_event(
        action=Action.SIGNATURE_RECONFIRMED,
        organisation=signature.public_organisation,
        target=signature,
        data={"letter_id": signature.letter_id, "from": previous, "to": current.number},
    )
    invalidate_public_list(letter_ids=[signature.letter_id])  # the list shows the version
    return signature


def request_reconfirmations(*, letter: Letter, version: LetterVersion) -> int:
    """After a substantive change while open: ask every live signer of an older version to
    re-confirm. Runs inside update_letter's transaction."""
    signatures = list(
        # Duplicates too: their signers hear what a signer awaiting review hears.
        Signature.objects.filter(letter=letter, status__in=Signature.SIGNER_LIVE)
        .exclude(version=version)
        .select_related("letter", "public_organisation", "version")
    )
    for signature in signatures:
        emails.reconfirmation_request(signature, version)
    return len(signatures)


def _reopen_invitation(signature: Signature, *, now: dt.datetime) -> None:
    """A signature that expired unconfirmed or was withdrawn no longer uses its invitation:
    the link works again, so the organisation can still sign through it."""
    invitation = signature.invitation
    if invitation is None or invitation.status != Invitation.Status.ACCEPTED:
        return
    # Unless the coordinators sent a new invitation to the same address meanwhile: there is
    # at most one live invitation per address, and the newer one wins.
    if (
        Invitation.objects.filter(
            letter_id=invitation.letter_id,
            email_index=invitation.email_index,
            status__in=Invitation.LIVE,
        )
        .exclude(pk=invitation.pk)
        .exists()
    ):
        return
    reopened = Invitation.objects.filter(
        pk=invitation.pk, status=Invitation.Status.ACCEPTED
    ).update(status=Invitation.Status.SENT, responded_at=None, updated_at=now)
    if reopened:
        _place_invitation_organisation(signature)  # live again: its organisation in clear


def expire_unconfirmed_signatures(*, now: dt.datetime | None = None) -> int:
    """Beat: signatures never confirmed within SIGNATURE_CONFIRMATION_DAYS expire (freeing the
    organisation to sign again). Idempotent."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.SIGNATURE_CONFIRMATION_DAYS)
    expired = 0
    for pk in Signature.objects.filter(
        status=Status.PENDING_CONFIRMATION, created_at__lte=cutoff
    ).values_list("pk", flat=True):
        with transaction.atomic():
            won = Signature.objects.filter(pk=pk, status=Status.PENDING_CONFIRMATION).update(
                status=Status.EXPIRED, updated_at=now
            )
            if won:
                signature = Signature.objects.get(pk=pk)
                _reopen_invitation(signature, now=now)
                record_event(
                    action=Action.SIGNATURE_EXPIRED,
                    organisation=signature.public_organisation,
                    target=signature,
                    data={"letter_id": signature.letter_id},
                )
                expired += 1
    return expired
