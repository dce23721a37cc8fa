"""Which email, to whom, with which context. Called by services inside their transaction; the
outbox sends after commit. Each email's dedupe key makes queueing it twice harmless."""

import copy
import datetime as dt
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.locale import with_language
from outbox.link_secrets import seal_merged
from outbox.models import OutboundEmail
from outbox.rendering import MailMerge, RenderedEmail
from outbox.services import EmailSpec, address_hash, queue_email, queue_emails

from . import selectors, tokens
from .models import Invitation, Letter, LetterTranslation, LetterVersion, Signature


def _url(name: str, *, language: str | None = None, **kwargs) -> str:
    """An absolute link; with a language other than the site's, it opens the page in it."""
    url = settings.SITE_URL + reverse(name, kwargs=kwargs)
    return with_language(url, language) if language and language != settings.LANGUAGE_CODE else url


def _letter_urls(letter: Letter) -> Callable[[str], str]:
    """The letter page's link in a reader's language, reversed once per language: a fan-out
    to thousands of signers asks for a handful of languages."""
    urls: dict[str, str] = {}

    def url(language: str) -> str:
        if language not in urls:
            urls[language] = _url("letters:detail", slug=letter.slug, language=language)
        return urls[language]

    return url


def language_of(signature: Signature) -> str:
    """A signer's emails are in the language of the page they signed on."""
    return signature.language or signature.letter.language


def _account_language(user, letter) -> str:
    return getattr(user, "language", "") or letter.language


def _signature_context(signature: Signature) -> dict:
    letter = signature.letter
    manage_token = tokens.make_signature_token(signature_id=signature.pk, purpose=tokens.MANAGE)
    return {
        "signature": signature,
        "letter": letter,
        "organisation": signature.organisation,
        # As the signer typed it until the signature is approved: the registered name would
        # tell whoever typed it that such an organisation exists (issue 11).
        "organisation_name": signature.organisation.name
        if signature.status == Signature.Status.APPROVED
        else signature.name_for_signer,
        "version": signature.version,
        "letter_url": _url("letters:detail", slug=letter.slug, language=language_of(signature)),
        "manage_url": _url(
            "letters:signature-manage", token=manage_token, language=language_of(signature)
        ),
    }


def _confirmation_context(signature: Signature, token: str) -> dict:
    return {
        **_signature_context(signature),
        "confirm_url": _url(
            "letters:signature-confirm", token=token, language=language_of(signature)
        ),
        "confirmation_days": settings.SIGNATURE_CONFIRMATION_DAYS,
    }


def confirmation_request(signature: Signature) -> OutboundEmail:
    """Double opt-in, and the signer's receipt: it names the version and its SHA-256."""
    token = tokens.make_signature_token(signature_id=signature.pk, purpose=tokens.CONFIRM)
    rendered = _merged_confirmation(signature, token)
    return queue_email(
        kind="signature_confirm",
        to=signature.signer_email,
        # Merged, the context is only the Reply-To's: the letter's public contact address.
        context={"letter": signature.letter}
        if rendered is not None
        else _confirmation_context(signature, token),
        dedupe_key=f"signature:{signature.pk}:confirm",
        language=language_of(signature),
        rendered=rendered,
    )


# The confirmation email of a visitor's submission goes through the outbox's mail merge too
# (issue 16: rendering it was a fifth of a signature's CPU): one skeleton per letter, text,
# visibility and language, kept in the process, and each signer's name, the name they typed
# for their organisation and their two links put in. The stand-in signature the skeleton is
# rendered from holds nothing but what its key holds, so a skeleton can carry nothing of the
# signer it was first made for. tests/letters/test_confirmation_merge.py compares it with the
# email rendered in full, byte for byte and sealed.
_CONFIRMATION_FIELDS = ("signer_name", "organisation_name", "confirm", "manage")
_CONFIRMATION_MERGES_KEPT = 64
_confirmation_merges: OrderedDict[tuple, MailMerge] = OrderedDict()
_confirmation_merges_lock = threading.Lock()


def _confirmation_merge(signature: Signature) -> MailMerge:
    letter, version = signature.letter, signature.version
    language = language_of(signature)
    key = (
        settings.SITE_URL,
        settings.SIGNATURE_CONFIRMATION_DAYS,
        letter.pk,
        letter.slug,
        letter.title,
        letter.public_contact_email,
        version.pk,
        version.number,
        signature.version_hash,
        signature.visibility,
        signature.language,
        language,
    )
    with _confirmation_merges_lock:
        merge = _confirmation_merges.get(key)
        if merge is not None:
            _confirmation_merges.move_to_end(key)
            return merge

    def context_for(values) -> dict:
        stand_in = Signature(
            letter=letter,
            version=version,
            version_hash=signature.version_hash,
            visibility=signature.visibility,
            language=signature.language,
            signer_name=values["signer_name"],
            proposed_organisation_name=values["organisation_name"],
        )
        return {
            **_confirmation_context(stand_in, values["confirm"]),
            "organisation_name": values["organisation_name"],
            "manage_url": _url(
                "letters:signature-manage", token=values["manage"], language=language
            ),
        }

    merge = MailMerge(
        "signature_confirm",
        context_for,
        fields=_CONFIRMATION_FIELDS,
        in_links=("confirm", "manage"),
        language=language,
    )
    with _confirmation_merges_lock:
        _confirmation_merges[key] = merge
        while len(_confirmation_merges) > _CONFIRMATION_MERGES_KEPT:
            _confirmation_merges.popitem(last=False)
    return merge


def _merged_confirmation(signature: Signature, confirm_token: str) -> RenderedEmail | None:
    """The confirmation email through the merge, sealed where it can be; None: render it in
    full (an organisation already chosen, or a template that alters a stand-in)."""
    if (
        signature.organisation_id is not None
        or signature.status != Signature.Status.PENDING_CONFIRMATION
    ):
        return None
    merge = _confirmation_merge(signature)
    values = {
        "signer_name": signature.signer_name,
        "organisation_name": signature.name_for_signer,
        "confirm": confirm_token,
        "manage": tokens.make_signature_token(signature_id=signature.pk, purpose=tokens.MANAGE),
    }
    return seal_merged(merge, values) or merge.render(values)


def signature_receipt(signature: Signature) -> OutboundEmail:
    """The receipt of a signature confirmed without the click (an invitee signing with the
    address their personal link was sent to): the version, its SHA-256 and the manage link.
    Says nothing of the signature's state, so a duplicate's reads like any other."""
    return queue_email(
        kind="signature_receipt",
        to=signature.signer_email,
        context=_signature_context(signature),
        dedupe_key=f"signature:{signature.pk}:receipt",
        language=language_of(signature),
    )


def _decision_spec(signature: Signature) -> EmailSpec:
    approved = signature.status == Signature.Status.APPROVED
    kind = "signature_approved" if approved else "signature_rejected"
    return EmailSpec(
        kind=kind,
        to=signature.signer_email,
        context=_signature_context(signature),
        dedupe_key=f"signature:{signature.pk}:{'approved' if approved else 'rejected'}",
        language=language_of(signature),
    )


def signature_approved(signature: Signature) -> OutboundEmail:
    return queue_email(**vars(_decision_spec(signature)))


def signature_rejected(signature: Signature) -> OutboundEmail:
    """Tells the signer the coded reason and the moderator's note."""
    return queue_email(**vars(_decision_spec(signature)))


def decisions(signatures: list[Signature]) -> list[int]:
    """The approval / rejection emails of a bulk decision, queued in constant queries."""
    return queue_emails(_decision_spec(signature) for signature in signatures)


def signature_withdrawn(signature: Signature) -> OutboundEmail:
    return queue_email(
        kind="signature_withdrawn",
        to=signature.signer_email,
        context=_signature_context(signature),
        dedupe_key=f"signature:{signature.pk}:withdrawn",
        language=language_of(signature),
    )


def _visibility_display(visibility: str) -> str:
    return str(Signature.Visibility(visibility).label)


# An earlier widening link for the same change still works this long: no new email before.
WIDENING_RESEND_AFTER = dt.timedelta(minutes=50)


def widening_request(
    signature: Signature, *, token: str, visibility: str, show_signer_name: bool, state: str
) -> OutboundEmail | None:
    """The one-hour, single-use link that makes a signature more visible, to the signer's own
    address only: a forwarded manage link cannot widen (issue 11, item 7). Whoever holds that
    link may ask again and again: the same change of the same state is emailed once while its
    link still has ten minutes to run (None: nothing sent)."""
    change = f"signature:{signature.pk}:widen:{visibility}:{int(show_signer_name)}:{state}:"
    if OutboundEmail.objects.filter(
        dedupe_key__startswith=change, created_at__gt=timezone.now() - WIDENING_RESEND_AFTER
    ).exists():
        return None
    return queue_email(
        kind="signature_widen",
        to=signature.signer_email,
        context={
            "signature": signature,
            "letter": signature.letter,
            "organisation": signature.organisation,
            "organisation_name": signature.name_for_signer,
            "before_display": _visibility_display(signature.visibility),
            "before_show_name": signature.show_signer_name,
            "after_display": _visibility_display(visibility),
            "after_show_name": show_signer_name,
            "widen_url": _url(
                "letters:signature-widen", token=token, language=language_of(signature)
            ),
        },
        # A new link is a new email (the token carries its time), a retry is not.
        dedupe_key=f"{change}{tokens.hash_secret(token)[:16]}"[:200],
        language=language_of(signature),
    )


def signature_changed(
    signature: Signature,
    *,
    withdrawn: bool = False,
    before: tuple[str, bool] | None = None,
    include_signer: bool = True,
) -> list[int]:
    """Tell the signer (unless told otherwise) and the organisation's admins that the
    signature was withdrawn or now appears differently. No manage link: it is not theirs."""
    from organisations.models import Membership

    letter = signature.letter
    context = {
        "signature": signature,
        "letter": letter,
        "organisation": signature.organisation,
        "organisation_name": signature.organisation_name,
        "withdrawn": withdrawn,
        "before_display": _visibility_display(before[0]) if before else "",
        "before_show_name": before[1] if before else False,
        "after_display": _visibility_display(signature.visibility),
        "after_show_name": signature.show_signer_name,
    }
    admins = Membership.objects.filter(
        organisation_id=signature.organisation_id, role=Membership.Role.ADMIN
    ).values_list("user__email", "user__language")
    # Each reads it in their language: the signer in the one they signed in, an admin in
    # their account's.
    recipients: dict[str, str] = {}
    if include_signer and signature.signer_email:
        recipients[signature.signer_email.lower()] = language_of(signature)
    for address, language in admins:
        if address:
            recipients.setdefault(address.lower(), language or letter.language)
    moment = signature.updated_at.isoformat()
    signer = signature.signer_email.lower()
    return queue_emails(
        EmailSpec(
            kind="signature_changed",
            to=address,
            # The signer reads the name as they typed it (issue 11, item 1); admins, theirs.
            context=context
            | {"letter_url": _url("letters:detail", slug=letter.slug, language=language)}
            | ({"organisation_name": signature.name_for_signer} if address == signer else {}),
            dedupe_key=f"signature:{signature.pk}:changed:{moment}:{address_hash(address)[:32]}"[
                :200
            ],
            language=language,
        )
        for address, language in recipients.items()
    )


def reconfirmation_request(signature: Signature, version: LetterVersion) -> OutboundEmail:
    """The text changed in substance: ask the signer to re-confirm the new version."""
    token = tokens.make_signature_token(
        signature_id=signature.pk, purpose=tokens.RECONFIRM, version=version.number
    )
    return queue_email(
        kind="signature_reconfirm",
        to=signature.signer_email,
        context={
            **_signature_context(signature),
            "new_version": version,
            "reconfirm_url": _url(
                "letters:signature-reconfirm", token=token, language=language_of(signature)
            ),
        },
        dedupe_key=f"signature:{signature.pk}:reconfirm:v{version.number}",
        language=language_of(signature),
    )


# --- Invitations ---------------------------------------------------------------------------------

# Emails rendered and inserted per round in a fan-out: memory stays flat however many there are.
INVITATION_QUEUE_CHUNK = 500
# What differs between the invitations of one letter: the mail merge renders the rest once.
_MERGE_FIELDS = ("contact_name", "organisation_name", "secret")


def invitation_language(invitation: Invitation) -> str:
    return invitation.language or invitation.letter.language


def _invitation_links(secret: str, language: str | None = None) -> dict[str, str]:
    return {
        "sign_url": _url("letters:sign-invitation", secret=secret, language=language),
        "decline_url": _url("letters:invitation-decline", secret=secret, language=language),
        "forward_url": _url("letters:invitation-forward", secret=secret, language=language),
    }


def letter_in(letter, language: str):
    """The letter as an email in `language` names it: a copy with the title and summary of
    its current translation into that language, if there is one (the authoritative text's
    otherwise). For emails only; never saved."""
    if language == letter.language:
        return letter
    found = LetterTranslation.objects.filter(
        letter_id=letter.pk, language=language, is_current=True
    ).first()
    if found is None:
        return letter
    shown = copy.copy(letter)
    shown.title = found.title
    shown.summary = found.summary or letter.summary
    return shown


def _invitation_context(invitation: Invitation, secret: str) -> dict:
    language = invitation_language(invitation)
    letter = letter_in(invitation.letter, language)
    # Who invites: the lead organisations the public may see named (accepted, signed
    # publicly, on a public list), never one that asked not to be named.
    leads = [lead.name for lead in selectors.public_leads_named(invitation.letter)]
    return {
        "invitation": invitation,
        "letter": letter,
        "coordinated_by": ", ".join(leads),
        "letter_url": _url("letters:detail", slug=letter.slug, language=language),
        **_invitation_links(secret, language),
    }


def _invitation_spec(
    invitation: Invitation, secret: str, *, rendered: RenderedEmail | None = None
) -> EmailSpec:
    # The key is the link's hash: a resend (a new secret) is a new email, a retry is not. It
    # needs no primary key, so a fan-out queues the emails before inserting the invitations.
    return EmailSpec(
        kind="invitation_forwarded" if invitation.forwarded_from_id else "invitation",
        to=invitation.email,
        context={
            **_invitation_context(invitation, secret),
            "forwarded_from": invitation.forwarded_from if invitation.forwarded_from_id else None,
        }
        if rendered is None
        else {},
        dedupe_key=f"invitation:{invitation.token_hash}",
        batch=f"letter:{invitation.letter_id}:invitations",
        rendered=rendered,
        language=invitation_language(invitation),
    )


def _reminder_spec(
    invitation: Invitation, secret: str, *, rendered: RenderedEmail | None = None
) -> EmailSpec:
    letter = invitation.letter
    return EmailSpec(
        kind="invitation_reminder",
        to=invitation.email,
        context=_invitation_context(invitation, secret) if rendered is None else {},
        # One reminder per invitation per deadline: extending the deadline opens a new window.
        dedupe_key=f"invitation:{invitation.pk}:reminder:{letter.deadline:%Y%m%dT%H%M%S}",
        batch=f"letter:{letter.pk}:reminders",
        rendered=rendered,
        language=invitation_language(invitation),
    )


def invitation(invitation: Invitation, secret: str) -> OutboundEmail:
    """The personal invitation (or, for a forwarded one, the hand-over) with its link, and the
    links to decline or to pass it on."""
    return queue_email(**vars(_invitation_spec(invitation, secret)))


class _MailMerge:
    """A letter's invitation email for each contact, through the outbox's mail merge: the
    contact's name, the organisation's name and the link's secret are what differs
    (tests/letters/test_invitation_services.py compares it with full rendering byte for byte)."""

    def __init__(self, kind: str, letter, language: str = "") -> None:
        language = language or letter.language

        def context_for(values) -> dict:
            stand_in = Invitation(
                letter=letter,
                organisation_name=values["organisation_name"],
                contact_name=values["contact_name"],
                email="",
                language=language,
            )
            return _invitation_context(stand_in, values["secret"])

        self.merge = MailMerge(
            kind, context_for, fields=_MERGE_FIELDS, in_links=("secret",), language=language
        )

    def render(self, invitation: Invitation, secret: str) -> RenderedEmail | None:
        """None: render this one in full (its template alters a stand-in)."""
        return self.merge.render(self._values(invitation, secret))

    def render_sealed(self, invitation: Invitation, secret: str) -> RenderedEmail | None:
        """render(), its link secret already sealed where the merge allows it (the outbox
        then stores it as it is, without looking for links in it)."""
        values = self._values(invitation, secret)
        return seal_merged(self.merge, values) or self.merge.render(values)

    @staticmethod
    def _values(invitation: Invitation, secret: str) -> dict[str, str]:
        return {
            "contact_name": invitation.contact_name,
            "organisation_name": invitation.organisation_name,
            "secret": secret,
        }


def _queue_many(specs: list[EmailSpec]) -> list[int]:
    """The emails' ids, in the order of `specs`."""
    ids: dict[str, int] = {}
    for start in range(0, len(specs), INVITATION_QUEUE_CHUNK):
        chunk = specs[start : start + INVITATION_QUEUE_CHUNK]
        queue_emails(chunk)
        ids.update(
            OutboundEmail.objects.filter(
                dedupe_key__in=[spec.dedupe_key for spec in chunk]
            ).values_list("dedupe_key", "pk")
        )
    return [ids[spec.dedupe_key] for spec in specs]


def _merged_specs(pairs: list[tuple[Invitation, str]], kind: str, make_spec) -> list[EmailSpec]:
    merges: dict[tuple[int, str], _MailMerge] = {}
    specs = []
    for invitation, secret in pairs:
        rendered = None
        if not invitation.forwarded_from_id:  # a hand-over names its sender: rendered in full
            language = invitation_language(invitation)
            merge = merges.get((invitation.letter_id, language))
            if merge is None:
                merge = merges[invitation.letter_id, language] = _MailMerge(
                    kind, invitation.letter, language
                )
            rendered = merge.render_sealed(invitation, secret)
        specs.append(make_spec(invitation, secret, rendered=rendered))
    return specs


def invitations(pairs: list[tuple[Invitation, str]]) -> list[int]:
    """Queue many invitations (saved or not yet: the key is the link's hash) in a few queries
    per chunk; returns the emails' ids in the order of `pairs`."""
    return _queue_many(_merged_specs(pairs, "invitation", _invitation_spec))


def invitation_reminders(pairs: list[tuple[Invitation, str]]) -> list[int]:
    """Queue reminders (the same link as the invitation); the emails' ids, in order."""
    return _queue_many(_merged_specs(pairs, "invitation_reminder", _reminder_spec))


def duplicate_signature_notice(*, attempt: Signature, recipients: list[str]) -> list[int]:
    """Someone confirmed a signature for an organisation that had signed already. Told to the
    addresses the organisation controls (its administrators, whoever signed for it), never
    to the one who asked: the sign form must not tell anyone who types an organisation's
    name whether it signed (it may be counted only, or embargoed). Issue 11, README."""
    context = {
        "letter": attempt.letter,
        "organisation": attempt.organisation,
        "attempt": attempt,
        "letter_url": _url(
            "letters:detail", slug=attempt.letter.slug, language=attempt.letter.language
        ),
    }
    return _queue_many(
        [
            EmailSpec(
                kind="signature_duplicate",
                to=address,
                context=context,
                dedupe_key=f"signature:{attempt.pk}:duplicate:{address_hash(address)[:32]}",
                language=attempt.letter.language,
            )
            for address in recipients
        ]
    )


# Publication emails rendered and inserted per round: memory stays flat however many signed.
PUBLISHED_QUEUE_CHUNK = 500


def _to_approved_signers(
    signatures, *, letter, kind: str, key: str, context: Callable[[Signature], dict]
) -> int:
    """One email of `kind` to each of these approved signers of a published letter, in their
    language, with the link to withdraw (possible after publication too: services.signatures).
    Queued in bulk inside the caller's transaction, a few queries per 500 signers; the dedupe
    key `signature:<id>:<key>` sends each at most once."""
    letter_url = _letter_urls(letter)
    queued = 0
    for chunk in itertools.batched(signatures, PUBLISHED_QUEUE_CHUNK):
        queued += len(
            queue_emails(
                EmailSpec(
                    kind=kind,
                    to=signature.signer_email,
                    context={
                        "signature": signature,
                        "letter": letter,
                        "organisation": signature.organisation,
                        "organisation_name": signature.organisation.name,
                        "letter_url": letter_url(signature.language or letter.language),
                        "manage_url": _url(
                            "letters:signature-manage",
                            token=tokens.make_signature_token(
                                signature_id=signature.pk, purpose=tokens.MANAGE
                            ),
                            language=signature.language or letter.language,
                        ),
                        **context(signature),
                    },
                    dedupe_key=f"signature:{signature.pk}:{key}",
                    batch=f"letter:{letter.pk}:{key}",
                    language=signature.language or letter.language,
                )
                for signature in chunk
            )
        )
    return queued


def letter_published(signatures, *, letter, delivery, on_record=None) -> int:
    """Tell every approved signer that the letter is out, and how their organisation appears in
    it (or that it was left out, as a signer of an earlier text)."""
    return _to_approved_signers(
        signatures,
        letter=letter,
        kind="letter_published",
        key="published",
        context=lambda signature: {
            "version": delivery.version,
            "delivery": delivery,
            "left_out": on_record is not None and signature.pk not in on_record,
        },
    )


def letter_response(signatures, *, letter, response) -> int:
    """Tell every approved signer of a published letter about its recipient's response or a
    follow-up update. It names no organisation but the reader's own."""
    document_url = (
        _url("letters:response-document", slug=letter.slug, pk=response.pk)
        if response.document
        else ""
    )
    return _to_approved_signers(
        signatures,
        letter=letter,
        kind="letter_response",
        key=f"response:{response.pk}",
        context=lambda signature: {"response": response, "document_url": document_url},
    )


def lead_requests(request, admins) -> list[int]:
    """Ask an organisation's admins whether it leads the letter: a link to the page where one
    of them, logged in, accepts or declines (the link alone decides nothing)."""
    letter = request.letter
    answer_url = _url("letters:lead-answer", pk=request.pk)
    return queue_emails(
        EmailSpec(
            kind="lead_request",
            to=admin.email,
            context={
                "letter": letter,
                "organisation": request.organisation,
                "answer_url": answer_url,
                "letter_url": _url(
                    "letters:detail", slug=letter.slug, language=_account_language(admin, letter)
                ),
            },
            dedupe_key=f"lead-request:{request.pk}:{admin.pk}",
            language=_account_language(admin, letter),
        )
        for admin in admins
    )


def embargo_lift_notices(signatures, *, letter, lift_at) -> int:
    """Before a letter's list becomes public while it collects: each signer it will name is
    told when, and given the link to narrow the signature's visibility or withdraw it."""
    key = int(lift_at.timestamp())
    queued = 0
    for chunk in itertools.batched(signatures, PUBLISHED_QUEUE_CHUNK):
        queued += len(
            queue_emails(
                EmailSpec(
                    kind="embargo_lift_notice",
                    to=signature.signer_email,
                    context={
                        **_signature_context(signature),
                        "lift_at": lift_at,
                        "notice_hours": settings.EMBARGO_LIFT_NOTICE_HOURS,
                    },
                    dedupe_key=f"signature:{signature.pk}:embargo-lift:{key}",
                    batch=f"letter:{letter.pk}:embargo-lift:{key}",
                    language=signature.language or letter.language,
                )
                for signature in chunk
            )
        )
    return queued


def moderation_digests(moderators, letters, *, period: int) -> list[int]:
    """One digest per moderator for this period: how many signatures await review on each
    letter, with links to the queue. Counts only — no signer's name or address."""
    queue_url = _url("admin:letters_pendingsignature_changelist")
    rows = [
        {
            "letter": letter,
            "awaiting": letter.awaiting,
            "oldest": letter.oldest,
            "queue_url": f"{queue_url}?letter={letter.pk}",
        }
        for letter in letters
    ]
    specs = {
        f"moderation-digest:{moderator.pk}:{period}": EmailSpec(
            kind="moderation_digest",
            to=moderator.email,
            context={
                "moderator": moderator,
                "letters": rows,
                "total": sum(row["awaiting"] for row in rows),
                "queue_url": queue_url,
            },
            dedupe_key=f"moderation-digest:{moderator.pk}:{period}",
            batch=f"moderation-digest:{period}",
            language=getattr(moderator, "language", "") or settings.LANGUAGE_CODE,
        )
        for moderator in moderators
    }
    queued_before = set(
        OutboundEmail.objects.filter(dedupe_key__in=specs).values_list("dedupe_key", flat=True)
    )
    return queue_emails(spec for key, spec in specs.items() if key not in queued_before)


def signer_data_copy(signature: Signature, *, data: str, bucket: str) -> OutboundEmail:
    """A copy of what is held about the signer's address, to that address only: whoever holds
    a forwarded manage link learns nothing from asking. Once per ten minutes (`bucket`)."""
    return queue_email(
        kind="signer_data_copy",
        to=signature.signer_email,
        context={"signature": signature, "letter": signature.letter, "data": data},
        dedupe_key=f"signature:{signature.pk}:data-copy:{bucket}",
        language=language_of(signature),
    )


def erasure_request(signature: Signature, *, token: str, withdraw: bool, state: str) -> None:
    """The one-hour, single-use link that erases the signer's personal data, to the signer's
    own address: a forwarded manage link cannot erase."""
    queue_email(
        kind="signer_erasure",
        to=signature.signer_email,
        context={
            **_signature_context(signature),
            "withdraw": withdraw,
            "erase_url": _url(
                "letters:signature-erase", token=token, language=language_of(signature)
            ),
        },
        dedupe_key=f"signature:{signature.pk}:erase:{int(withdraw)}:{state}",
        language=language_of(signature),
    )


def webhook_disabled(*, letter: Letter, coordinators, url: str, reason: str, key: str) -> list[int]:
    """Tell each coordinator of the letter that one of its webhooks was disabled after
    repeated failures, and where to enable it again."""
    return queue_emails(
        EmailSpec(
            kind="webhook_disabled",
            to=user.email,
            context={
                "letter": letter,
                "user": user,
                "url": url,
                "reason": reason,
                "webhooks_url": _url(
                    "letters:webhooks",
                    slug=letter.slug,
                    language=_account_language(user, letter),
                ),
            },
            dedupe_key=f"webhook-disabled:{key}:{user.pk}",
            language=_account_language(user, letter),
        )
        for user in coordinators
    )
