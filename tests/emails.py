"""Reading the emails the SMTP server (aiosmtpd, tests/conftest.py `smtp_server`) received."""

from email.header import decode_header, make_header
from email.message import Message

from django.core import mail

from outbox.rendering import RenderedEmail
from outbox.services import live_bodies


def _part(message: Message, content_type: str) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    for part in parts:
        if part.get_content_type() == content_type:
            payload = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
            return payload.replace("\r\n", "\n")
    raise AssertionError(f"the email has no {content_type} part")


def text_body(message: Message) -> str:
    """The text/plain part, decoded, with LF newlines."""
    return _part(message, "text/plain")


def html_body(message: Message) -> str:
    """The text/html part, decoded, with LF newlines."""
    return _part(message, "text/html")


def subject_of(message: Message) -> str:
    """The Subject header, decoded (it is RFC 2047-encoded when not ASCII)."""
    return str(make_header(decode_header(message["Subject"])))


def as_sent(row) -> RenderedEmail:
    """An outbox row as its recipient reads it, links whole. The stored body has placeholders
    for link secrets (outbox.link_secrets): while the row is queued they are put back from its
    encrypted secrets; once it is sent they are erased, and the copy the locmem mailer kept
    (django.core.mail.outbox) is read instead."""
    row.refresh_from_db()
    if row.status == "queued":
        return live_bodies(row)
    for message in reversed(getattr(mail, "outbox", [])):
        if message.extra_headers.get("Message-ID") == row.message_id:
            html = next(
                (c for c, kind in getattr(message, "alternatives", []) if kind == "text/html"), ""
            )
            return RenderedEmail(subject=message.subject, text=message.body, html=html)
    raise AssertionError(f"{row} was sent and its links erased; no copy in mail.outbox")


def outbox_to(address: str):
    """The outbox rows queued to `address`. The address is stored encrypted, so the database
    cannot compare it: rows are found by its keyed hash (`to_hash`), in any case or spacing."""
    from outbox.models import OutboundEmail, address_hash

    return OutboundEmail.objects.filter(to_hash=address_hash(address))
