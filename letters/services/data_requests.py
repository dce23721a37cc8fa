"""A signer's data on request, without an account (issue 12, item 4): a copy of everything
held about their address, emailed to that address; and its erasure, confirmed from that
address. Both are asked from the manage page every signature email links to; neither tells
the holder of a forwarded link anything, and neither lets them destroy anything."""

import datetime as dt
import json
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record_event
from core.errors import TransitionError
from outbox.services import forget_recipient

from .. import emails, tokens
from ..models import DataRequest, Invitation, Signature
from ..models.invitations import email_index
from .publication import invalidate_public_list
from .retention import erase_invitation_contact
from .signatures import withdraw_signature

# A copy is emailed at most once per this period, however often it is asked for.
COPY_EVERY = dt.timedelta(minutes=10)


def signatures_of_address(address: str) -> list[Signature]:
    """Every signature given with this address (compared here: addresses are encrypted)."""
    wanted = address.strip().casefold()
    if not wanted:
        return []
    return [
        s
        for s in Signature.objects.select_related("letter", "version").order_by("pk")
        if s.signer_email.strip().casefold() == wanted
    ]


def data_held_about(address: str) -> dict[str, Any]:
    """Everything held about an address: its signatures (with the organisation as the signer
    typed it or, once approved, as registered) and the invitations sent to it."""
    signatures = signatures_of_address(address)
    invitations = Invitation.objects.filter(email_index=email_index(address)).select_related(
        "letter"
    )
    return {
        "email": address,
        "generated_at": timezone.now().isoformat(),
        "signatures": [
            {
                "letter": s.letter.title,
                "organisation": s.organisation.name
                if s.status == Signature.Status.APPROVED and s.organisation
                else s.name_for_signer,
                "name": s.signer_name,
                "title": s.signer_title,
                "visibility": s.visibility,
                "show_name": s.show_signer_name,
                "status": str(s.status_for_signer),
                "version": s.version.number,
                "version_sha256": s.version_hash,
                "signed_at": s.created_at.isoformat(),
                "confirmed_at": s.confirmed_at.isoformat() if s.confirmed_at else None,
                "withdrawn_at": s.withdrawn_at.isoformat() if s.withdrawn_at else None,
            }
            for s in signatures
        ],
        "invitations": [
            {
                "letter": i.letter.title,
                "organisation": i.organisation_name,
                "contact_name": i.contact_name,
                "status": i.status,
                "sent_at": i.sent_at.isoformat() if i.sent_at else None,
                "decline_reason": i.decline_reason,
            }
            for i in invitations
        ],
    }


@transaction.atomic(durable=True)
def email_data_copy(*, signature: Signature) -> DataRequest:
    """Email the signer's address a copy of what is held about it (JSON in the text)."""
    signature = Signature.objects.select_related("letter").get(pk=signature.pk)
    if not signature.signer_email:
        raise TransitionError(_("The personal data of this signature has been erased."))
    now = timezone.now()
    bucket = str(int(now.timestamp() // COPY_EVERY.total_seconds()))
    data = json.dumps(data_held_about(signature.signer_email), ensure_ascii=False, indent=2)
    emails.signer_data_copy(signature, data=data, bucket=bucket)
    request = DataRequest.objects.create(
        kind=DataRequest.Kind.SIGNER_EXPORT,
        state=DataRequest.State.DONE,
        signature=signature,
        completed_at=now,
    )
    record_event(action=Action.DATA_COPY_SENT, target=signature)
    return request


def _fingerprint(signature: Signature) -> str:
    return tokens.state_fingerprint(
        visibility=signature.visibility,
        show_signer_name=signature.show_signer_name,
        updated_at=f"{signature.updated_at.isoformat()}|{signature.status}",
    )


@transaction.atomic(durable=True)
def request_erasure(*, signature: Signature, withdraw: bool) -> DataRequest:
    """Email the signer's address a one-hour, single-use link that erases their personal
    data (and withdraws the signature if `withdraw`). Nothing changes now."""
    signature = Signature.objects.select_related("letter", "version").get(pk=signature.pk)
    if not signature.signer_email:
        raise TransitionError(_("The personal data of this signature has been erased."))
    withdraw = withdraw and signature.status in Signature.SIGNER_LIVE
    state = _fingerprint(signature)
    token = tokens.make_erasure_token(signature_id=signature.pk, withdraw=withdraw, state=state)
    emails.erasure_request(signature, token=token, withdraw=withdraw, state=state)
    return DataRequest.objects.create(
        kind=DataRequest.Kind.SIGNER_ERASURE, signature=signature, withdraw=withdraw
    )


def signature_for_erasure(token: str) -> tuple[Signature, tokens.ErasureLink]:
    """The signature an erasure link names, if the link still works: signed, within the hour,
    the signature unchanged since. Raises tokens.BadLink."""
    link = tokens.read_erasure_token(token)
    signature = (
        Signature.objects.select_related("letter", "version").filter(pk=link.signature_id).first()
    )
    if signature is None or not signature.signer_email or _fingerprint(signature) != link.state:
        raise tokens.BadLink("invalid")
    return signature, link


def erase_signer(*, token: str) -> Signature:
    """The signer confirms from their own inbox: their name, title and address are erased
    from every signature given with that address, and from the invitations sent to it, and
    the outbox forgets the emails sent to it; the signature is withdrawn if they chose so.
    The organisation's signature otherwise stays and counts as before."""
    try:
        signature, link = signature_for_erasure(token)
    except tokens.BadLink as exc:
        raise TransitionError(_("This link no longer works. Nothing was changed.")) from exc
    if link.withdraw and signature.status in Signature.SIGNER_LIVE:
        withdraw_signature(signature=signature)
    with transaction.atomic():
        address = signature.signer_email
        now = timezone.now()
        erased = signatures_of_address(address)
        for each in Signature.objects.select_for_update().filter(pk__in=[s.pk for s in erased]):
            each.signer_name = each.signer_title = each.signer_email = ""
            each.personal_data_erased_at = now
            each.save(
                update_fields=[
                    "signer_name", "signer_title", "signer_email",
                    "personal_data_erased_at", "updated_at",
                ]
            )  # fmt: skip
        for invitation in Invitation.objects.select_for_update().filter(
            email_index=email_index(address)
        ):
            erase_invitation_contact(invitation, now=now)
        forget_recipient(address)
        DataRequest.objects.filter(
            signature=signature,
            kind=DataRequest.Kind.SIGNER_ERASURE,
            state=DataRequest.State.REQUESTED,
        ).update(state=DataRequest.State.DONE, completed_at=now, updated_at=now)
        record_event(
            action=Action.SIGNER_DATA_ERASED,
            target=signature,
            data={"signatures": len(erased), "withdrawn": link.withdraw},
        )
        invalidate_public_list(letter_ids={s.letter_id for s in erased})
    signature.refresh_from_db()
    return signature
