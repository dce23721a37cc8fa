"""The outbox: queue an email inside the business transaction, deliver it after commit.

Delivery guarantees (DESIGN.md §6): a row is sent at most once per claim — the claim is a row
lock (`select_for_update(skip_locked=True)`) held while the SMTP server is talking and released
when the row is marked sent, so two workers never send the same row. If a worker dies after the
SMTP server accepted the message but before the commit, the row is still queued and is sent
once more, with the same Message-ID (receiving servers and clients de-duplicate on it).

Stored bodies hold no live link: their link secrets are kept apart, encrypted, until the email
is sent or has failed for good, and put back only into the message (outbox.link_secrets).
"""

import hashlib
import json
import logging
import re
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone, translation

from core.crypto import DecryptionError, decrypt_str, encrypt_str
from core.locale import bcp47, supported

from . import link_secrets
from .models import OutboundEmail, address_hash
from .rendering import RenderedEmail, SealedEmail, render_email
from .signals import delivery_requested, email_status_changed

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_DELAY = 30  # seconds; doubles per attempt
MAX_DELAY = 30 * 60  # well below the broker's visibility_timeout (1 h)
# A queued row whose attempt is this late has lost its task (broker down, worker killed)...
STUCK_AFTER = timedelta(minutes=5)
# ...or only this late, when the broker's queue is empty (nothing is waiting for a worker, so
# no task for it can still be on its way): the sweeper (beat, every SWEEP_SECONDS) hands it
# over again. Sweeping a row whose task is merely slow costs a task that skips it: the claim
# (a row lock, and the status checked under it) never lets two workers send one row.
LOST_AFTER = timedelta(seconds=settings.OUTBOX_LOST_AFTER_SECONDS)


def _stored(field: str) -> Cast:
    """The column as stored (the Fernet token), not through the field, which would raise
    DecryptionError for the whole query on one value under a dropped key."""
    return Cast(field, TextField())


def _decrypted(stored: str | None) -> str | None:
    """A stored value decrypted; None if no configured key opens it."""
    if not stored:
        return ""
    try:
        return decrypt_str(stored)
    except DecryptionError:
        return None


def forget_recipient(address: str) -> int:
    """Erase what the outbox keeps of the emails sent (or failed for good) to `address`: the
    address, the subject, the bodies and any sealed secret; the kind, status, Message-ID and
    the error (redacted of addresses) stay, for support. Queued rows are left to be sent.
    The retention purge calls it for every address it erases (issue 12)."""
    if not address:
        return 0
    from core.logging import redact

    rows = list(
        OutboundEmail.objects.filter(to_hash=address_hash(address))
        .exclude(status=OutboundEmail.Status.QUEUED)
        .only("pk")
        .annotate(stored_error=_stored("last_error"))
    )
    for row in rows:
        OutboundEmail.objects.filter(pk=row.pk).update(
            to="",
            # Erased, not reduced: no hash is left to find the address by.
            to_hash="",
            reduced_at=timezone.now(),
            subject="",
            body_text="",
            body_html="",
            link_secrets="",
            # An error no configured key opens is dropped: nobody can read it anyway.
            last_error=redact(_decrypted(row.stored_error) or ""),
            updated_at=timezone.now(),
        )
    return len(rows)


def message_id_for(dedupe_key: str) -> str:
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:40]
    domain = urlsplit(settings.SITE_URL).hostname or "undersigned.invalid"
    return f"<{digest}@{domain}>"


def backoff(attempts: int) -> int:
    """Seconds before attempt number `attempts + 1`: 30 s, 60 s, 2 min, … capped at 30 min."""
    return min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)


def reader_language(language: str | None) -> str:
    """The language an email is written in: its reader's if known and configured, else the
    one active now, else the site's."""
    return supported(language) or supported(translation.get_language()) or settings.LANGUAGE_CODE


def reply_to_for(context: dict[str, Any], reply_to: str = "") -> str:
    """The Reply-To of an email: the one given, else the public contact address of the
    letter it is about (its context's "letter"), else none."""
    if reply_to:
        return reply_to
    letter = context.get("letter") if context else None
    return getattr(letter, "public_contact_email", "") or ""


def queue_email(
    *,
    kind: str,
    to: str,
    context: dict[str, Any],
    dedupe_key: str,
    batch: str = "",
    enqueue: bool = True,
    rendered: RenderedEmail | None = None,
    language: str | None = None,
    reply_to: str = "",
) -> OutboundEmail:
    """Write the email in the caller's transaction; its delivery task is enqueued on commit.

    `language`: its reader's (rendered in it, sent with it as Content-Language); by default
    the language active now (the page the request came from; English in a task).

    Queueing the same `dedupe_key` again returns the existing row and sends nothing more.
    `rendered`: the caller rendered it already (a mail merge); `context` is then unused.
    An invalid `to` raises django.core.exceptions.ValidationError and writes nothing.
    """
    # The address is stored encrypted, so no EmailField checks it: checked here (a
    # ValidationError, nothing written). Also keeps a line break out of the To header.
    validate_email(to)
    reply_to = reply_to_for(context, reply_to)
    if reply_to:
        validate_email(reply_to)
    if not to.strip():
        # An address erased at its owner's request (or by retention): nothing to send, and
        # nothing stored. The caller gets the row queued before, or an unsaved one.
        existing = OutboundEmail.objects.filter(dedupe_key=dedupe_key).first()
        return existing or OutboundEmail(kind=kind, to="", dedupe_key=dedupe_key)
    language = reader_language(language)
    sealed, secrets = _sealed(rendered or render_email(kind, context, language=language))
    # Inserted straight away (a savepoint, an INSERT): queueing a key twice is rare, and the
    # unique constraint decides it — the second gets the first's row and sends nothing more.
    # A concurrent duplicate must not break the caller's transaction: hence the savepoint.
    created = True
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                dedupe_key=dedupe_key,
                kind=kind,
                to=to,
                to_hash=address_hash(to),
                subject=sealed.subject,
                body_text=sealed.text,
                body_html=sealed.html,
                link_secrets=secrets,
                message_id=message_id_for(dedupe_key),
                language=language,
                batch=batch,
                reply_to=reply_to,
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        existing = OutboundEmail.objects.filter(dedupe_key=dedupe_key).first()
        if existing is None:
            raise  # not the dedupe key's constraint
        email, created = existing, False
    if created and enqueue:
        request_delivery(email_ids=[email.pk])
    return email


@dataclass(frozen=True)
class EmailSpec:
    kind: str
    to: str
    context: dict[str, Any]
    dedupe_key: str
    batch: str = ""
    rendered: RenderedEmail | None = None  # already rendered by the caller (a mail merge)
    language: str | None = None  # its reader's (queue_email)
    reply_to: str = ""  # the Reply-To header: the letter's public contact address


def queue_emails(specs: Iterable[EmailSpec]) -> list[int]:
    """queue_email for many at once, in a constant number of queries: one insert (existing
    dedupe keys are left alone) and one read of the ids. Returns the ids still to be sent."""
    specs = [spec for spec in specs if spec.to.strip()]  # erased addresses: nothing to send
    if not specs:
        return []
    for spec in specs:  # every address checked before any row is written (see queue_email)
        validate_email(spec.to)
    now = timezone.now()
    rows = []
    for spec in specs:
        language = reader_language(spec.language)
        sealed, secrets = _sealed(
            spec.rendered or render_email(spec.kind, spec.context, language=language)
        )
        rows.append(
            OutboundEmail(
                kind=spec.kind,
                to=spec.to,
                to_hash=address_hash(spec.to),
                subject=sealed.subject,
                body_text=sealed.text,
                body_html=sealed.html,
                link_secrets=secrets,
                dedupe_key=spec.dedupe_key,
                message_id=message_id_for(spec.dedupe_key),
                language=language,
                batch=spec.batch,
                reply_to=reply_to_for(spec.context, spec.reply_to),
                next_attempt_at=now,
            )
        )
    OutboundEmail.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    ids = list(
        OutboundEmail.objects.filter(
            dedupe_key__in=[spec.dedupe_key for spec in specs],
            status=OutboundEmail.Status.QUEUED,
        ).values_list("pk", flat=True)
    )
    request_delivery(email_ids=ids)
    return ids


def request_delivery(*, email_ids: Iterable[int], countdown: int | None = None) -> None:
    """Have these rows handed to the worker once the current transaction commits (at once
    outside one), `countdown` seconds later. outbox.dispatch does it: services never import
    the tasks, which import them. Should the broker be down, the sweeper sends them later."""
    ids = list(email_ids)
    if ids:
        delivery_requested.send(sender=OutboundEmail, email_ids=ids, countdown=countdown)


def _sealed(rendered: RenderedEmail) -> tuple[RenderedEmail, str]:
    """The email as stored (placeholders for its link secrets) and its secrets, encrypted
    ("" when it has none). One sealed already (link_secrets.seal_merged) is taken as it is."""
    if isinstance(rendered, SealedEmail):
        sealed = RenderedEmail(rendered.subject, rendered.text, rendered.html)
        secrets = list(rendered.secrets)
    else:
        sealed, secrets = link_secrets.seal(rendered)
    return sealed, encrypt_str(json.dumps(secrets)) if secrets else ""


class MissingLinkSecrets(ValueError):
    """The email's link secrets are gone (erased after a final failure) or undecryptable (its
    key was dropped): sending it would send dead links. A ValueError: a final failure."""


def _secrets_of(row: OutboundEmail) -> list[str]:
    if not row.link_secrets:
        return []
    try:
        return json.loads(decrypt_str(row.link_secrets))
    except DecryptionError as exc:
        raise MissingLinkSecrets(
            "its link secrets cannot be decrypted with FIELD_ENCRYPTION_KEYS"
        ) from exc


def live_bodies(row: OutboundEmail) -> RenderedEmail:
    """The email as it is sent, link secrets put back: for the message, and for tests. After
    the email is sent (or failed for good) the secrets are erased and the placeholders stay."""
    secrets = _secrets_of(row)
    return RenderedEmail(
        subject=link_secrets.fill(row.subject, secrets),
        text=link_secrets.fill(row.body_text, secrets),
        html=link_secrets.fill(row.body_html, secrets),
    )


def _build_message(row: OutboundEmail) -> EmailMultiAlternatives:
    secrets = _secrets_of(row)
    if any(
        link_secrets.unfilled(part, secrets) for part in (row.subject, row.body_text, row.body_html)
    ):
        raise MissingLinkSecrets("its link secrets were erased: send it anew from the app")
    message = EmailMultiAlternatives(
        subject=link_secrets.fill(row.subject, secrets),
        body=link_secrets.fill(row.body_text, secrets),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to],
        reply_to=[row.reply_to] if row.reply_to else None,
        headers={
            "Message-ID": row.message_id,
            "Auto-Submitted": "auto-generated",
            "Content-Language": bcp47(row.language or settings.LANGUAGE_CODE),
        },
    )
    if row.body_html:
        message.attach_alternative(link_secrets.fill(row.body_html, secrets), "text/html")
    return message


def _is_permanent(exc: Exception) -> bool:
    """5xx answers about this message are final; connection trouble and 4xx are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False  # our configuration, not the message: keep it until fixed
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return isinstance(exc, ValueError)  # an address Django refuses to put in a header


TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)


@dataclass(frozen=True)
class Outcome:
    status: str  # "sent", "skipped", "retry", "failed"
    retry_in: int | None = None


# Kinds whose body is the personal data itself (a signer's copy of what is held about them):
# reduced as soon as they are sent, not after OUTBOX_BODY_RETENTION_HOURS.
REDUCE_ON_SEND = frozenset({"signer_data_copy"})

# Stored encrypted (outbox.models.OutboundEmail).
ENCRYPTED_FIELDS = ("to", "subject", "body_text", "body_html", "last_error")


_TABLE = OutboundEmail._meta.db_table
# deliver_many's claim of a row it has read already, and the mark of a sent row: the SQL the
# ORM would write for each (tests/outbox compare the rows either way), compiled once.
_CLAIM_SQL = f"SELECT attempts FROM {_TABLE} WHERE id = %s AND status = %s"  # noqa: S608 - our table
_MARK_SENT_SQL = (
    f"UPDATE {_TABLE} SET status = %s, sent_at = %s, attempts = %s, "  # noqa: S608 - as above
    f"next_attempt_at = NULL, "
    f"last_error = '', link_secrets = '', updated_at = %s WHERE id = %s"
)


def deliver(*, email_id: int, mailer=None) -> Outcome:
    """Claim one queued row, send it, mark it. Idempotent: a row already sent, failed, or
    claimed by another worker is skipped."""
    return _deliver(email_id, mailer or mail.mailers.default, read=None)


def _deliver(email_id: int, mailer, *, read: OutboundEmail | None) -> Outcome:
    """deliver(), given the row as `read` before the claim when the caller read its chunk at
    once (deliver_many). What is sent never changes while a row is queued (only a delivery
    changes a queued row), so the claim then reads only the row's lock, status and attempts;
    a row read as queued that is no longer queued under the lock is skipped as usual."""
    with transaction.atomic():
        claim = OutboundEmail.objects.select_for_update(skip_locked=True).filter(
            pk=email_id, status=OutboundEmail.Status.QUEUED
        )
        unreadable: DecryptionError | None = None
        row: OutboundEmail | None
        if read is not None:
            with connection.cursor() as cursor:
                lock = (
                    " FOR UPDATE SKIP LOCKED"
                    if connection.features.has_select_for_update_skip_locked
                    else ""  # SQLite, the embedded default: one writer at a time anyway
                )
                cursor.execute(_CLAIM_SQL + lock, [email_id, OutboundEmail.Status.QUEUED])
                found = cursor.fetchone()
            attempts = found[0] if found else None
            row = read if attempts is not None else None
            if row is not None:
                row.attempts = attempts
        else:
            try:
                row = claim.first()
            except DecryptionError as exc:
                # Stored under a key no longer configured: it can never be sent. Claimed
                # without its encrypted fields, to be marked failed below like any final error.
                unreadable = exc
                row = claim.defer(*ENCRYPTED_FIELDS).first()
        if row is None:
            return Outcome("skipped")
        row.attempts += 1
        try:
            if unreadable is not None:
                raise unreadable
            mailer.send_messages([_build_message(row)])
        except (*TRANSIENT_ERRORS, ValueError) as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if _is_permanent(exc) or row.attempts >= MAX_ATTEMPTS:
                row.status = OutboundEmail.Status.FAILED
                row.next_attempt_at = None
                row.link_secrets = ""  # final: the links die with the email
                row.save(
                    update_fields=[
                        "link_secrets",
                        "status",
                        "attempts",
                        "last_error",
                        "next_attempt_at",
                        "updated_at",
                    ]
                )
                logger.warning("email %s failed for good: %s", row.pk, row.last_error)
                _announce(row)
                return Outcome("failed")
            delay = backoff(row.attempts)
            row.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            row.save(update_fields=["attempts", "last_error", "next_attempt_at", "updated_at"])
            logger.info("email %s: attempt %s failed, retry in %ss", row.pk, row.attempts, delay)
            return Outcome("retry", retry_in=delay)
        row.status = OutboundEmail.Status.SENT
        row.sent_at = row.updated_at = timezone.now()
        row.next_attempt_at = None
        row.last_error = ""
        row.link_secrets = ""  # sent: the database keeps no working link
        fields = ["link_secrets", "status", "sent_at", "attempts", "next_attempt_at"]
        if row.kind in REDUCE_ON_SEND:
            # Its body is the data itself: kept no longer than the delivery needs it.
            row.to_hash = row.to_hash or address_hash(row.to)
            row.to, row.subject, row.body_text, row.body_html = "", row.kind, "", ""
            row.reduced_at = row.sent_at
            fields += ["to", "to_hash", "subject", "body_text", "body_html", "reduced_at"]
        if row.kind in REDUCE_ON_SEND:
            row.save(update_fields=[*fields, "last_error", "updated_at"])
        else:
            # The statement Model.save(update_fields=...) would run, compiled once: this runs
            # once per email of a fan-out.
            with connection.cursor() as cursor:
                cursor.execute(
                    _MARK_SENT_SQL,
                    [row.status, row.sent_at, row.attempts, row.updated_at, row.pk],
                )
        _announce(row)
        return Outcome("sent")


def _announce(row: OutboundEmail) -> None:
    """Tell listeners (letters: an invitation follows its email) in the claim's transaction,
    inside a savepoint: a failing receiver is logged and never undoes the delivery."""
    if not email_status_changed.has_listeners(OutboundEmail):
        return
    try:
        with transaction.atomic():
            email_status_changed.send(
                sender=OutboundEmail,
                email_id=row.pk,
                kind=row.kind,
                status=row.status,
                error=row.last_error,
                sent_at=row.sent_at,
            )
    except Exception:  # a receiver's bug must not turn a sent email into a resent one
        logger.exception("email_status_changed receiver failed for email %s", row.pk)


def deliver_many(email_ids: Iterable[int]) -> dict[int, Outcome]:
    """Send a chunk over one SMTP connection (reopened if the server drops it). The chunk's
    queued rows are read and decrypted in one query; each is then claimed, sent and marked in
    a transaction of its own, as deliver() does: a worker killed mid-chunk resends at most the
    one message the SMTP server had accepted before its row was marked."""
    email_ids = list(email_ids)
    try:
        read = OutboundEmail.objects.in_bulk(email_ids)
        read = {pk: row for pk, row in read.items() if row.status == OutboundEmail.Status.QUEUED}
    except DecryptionError:
        read = {}  # one row no configured key opens: each row read under its own claim
    outcomes: dict[int, Outcome] = {}
    mailer = mail.mailers.default
    _open(mailer)
    try:
        for email_id in email_ids:
            outcome = _deliver(email_id, mailer, read=read.get(email_id))
            outcomes[email_id] = outcome
            if outcome.status == "retry":
                # The connection may be broken: start the next row on a fresh one.
                mailer.close()
                _open(mailer)
    finally:
        mailer.close()
    return outcomes


def _open(mailer) -> None:
    """Open the connection now, so that every message of the chunk shares it. If the server
    is unreachable, each row's own attempt records the error and schedules its retry."""
    try:
        mailer.open()
    except (*TRANSIENT_ERRORS,):
        logger.info("SMTP connection failed; rows will be retried", exc_info=True)


@transaction.atomic
def claim_overdue(
    *, now=None, overdue_after: timedelta = STUCK_AFTER, limit: int = 5000
) -> list[int]:
    """Queued rows whose attempt is `overdue_after` late (their task was lost or is very
    late), marked as due again now so that the next sweep leaves them alone as long again."""
    now = now or timezone.now()
    ids = list(
        OutboundEmail.objects.select_for_update(skip_locked=True)
        .filter(status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now - overdue_after)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    OutboundEmail.objects.filter(pk__in=ids).update(next_attempt_at=now)
    return ids


def _requeueable(email: OutboundEmail) -> bool:
    """Whether the email can be sent again as stored: it had no link secrets (placeholders in
    its text, which is encrypted: read here, not in SQL) and a configured key opens it."""
    marker = "{{secret:"
    parts = [
        _decrypted(getattr(email, f"stored_{f}")) for f in ("subject", "body_text", "body_html")
    ]
    return all(part is not None and marker not in part for part in parts)


@transaction.atomic
def requeue_failed(*, email_ids: Iterable[int]) -> int:
    """Put failed rows back in the queue (an operator fixed the cause). Not those that carried
    links: their secrets were erased when they failed, so they must be sent anew from the app
    (the letter's "resend failed invitations", a new sign-up or password reset). Nor those
    stored under a key no longer configured: they cannot be sent."""
    failed = OutboundEmail.objects.filter(
        pk__in=list(email_ids), status=OutboundEmail.Status.FAILED
    ).only("pk")
    ids = [
        email.pk
        for email in failed.annotate(
            **{f"stored_{f}": _stored(f) for f in ("to", "subject", "body_text", "body_html")}
        )
        if _requeueable(email) and _decrypted(email.stored_to) is not None
    ]
    OutboundEmail.objects.filter(pk__in=ids).update(
        status=OutboundEmail.Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    request_delivery(email_ids=ids)
    return len(ids)


_ADDRESS_RE = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


def reduce_sent_emails(*, now: Any = None) -> int:
    """Rows sent, or failed for good, more than OUTBOX_BODY_RETENTION_HOURS ago lose subject,
    bodies and address (kept as a keyed hash); kind, status, Message-ID and the error (its
    addresses removed) stay. Queued rows are never touched. Idempotent; returns the count."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.OUTBOX_BODY_RETENTION_HOURS)
    due = OutboundEmail.objects.filter(reduced_at__isnull=True).filter(
        Q(status=OutboundEmail.Status.SENT, sent_at__lt=cutoff)
        | Q(status=OutboundEmail.Status.FAILED, updated_at__lt=cutoff)
    )
    count = 0
    with transaction.atomic():
        # The encrypted fields read as stored: one value under a dropped key must not stop the
        # reduction of every other row (its content is dropped like any other's).
        rows = (
            due.select_for_update(skip_locked=True)
            .defer(*ENCRYPTED_FIELDS)
            .annotate(stored_to=_stored("to"), stored_error=_stored("last_error"))
        )
        for email in rows:
            to = _decrypted(email.stored_to)
            email.to_hash = email.to_hash or (address_hash(to) if to else "")
            email.to = ""
            email.subject = email.kind
            email.body_text = ""
            email.body_html = ""
            email.link_secrets = ""
            email.last_error = _ADDRESS_RE.sub("[address]", _decrypted(email.stored_error) or "")
            email.reduced_at = now
            email.save(
                update_fields=[
                    "to",
                    "to_hash",
                    "subject",
                    "body_text",
                    "body_html",
                    "link_secrets",
                    "last_error",
                    "reduced_at",
                    "updated_at",
                ]
            )
            count += 1
    return count
