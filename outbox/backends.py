"""Email backends: the transport the outbox sends through (settings.MAILERS), nothing else
calls them.

A console backend for the embedded default that prints emails as a person reads them:
headers and the plain-text body, decoded — links whole, not cut by quoted-printable."""

import functools
import smtplib
from email import charset as email_charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import formataddr, formatdate, parseaddr

from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.console import EmailBackend
from django.core.mail.backends.smtp import EmailBackend as DjangoSmtpBackend


class ReadableConsoleBackend(EmailBackend):
    def write_message(self, message) -> None:
        rule = "-" * 79
        lines = [
            rule,
            f"From: {message.from_email}",
            f"To: {', '.join(message.to)}",
            f"Subject: {message.subject}",
            f"Message-ID: {message.extra_headers.get('Message-ID', '')}",
            "",
            message.body.rstrip(),
        ]
        if getattr(message, "alternatives", None):
            lines += ["", "(an HTML version of this email was sent too)"]
        lines.append(rule)
        self.stream.write("\n".join(lines) + "\n")


# --- SMTP: the outbox's emails serialised in a fraction of the time -------------------------------


_CRLF = compat32.clone(linesep="\r\n", max_line_length=78)
_HANDLED_HEADERS = {"message-id", "auto-submitted", "content-language"}


def _mostly_ascii(text: str) -> bool:
    # What email.contentmanager decides between quoted-printable and base64 on, in effect.
    return sum(1 for char in text if ord(char) > 127) * 8 < len(text)


def _text_part(text: str, subtype: str) -> MIMENonMultipart:
    if not text.endswith("\n"):
        text += "\n"  # as the modern API's set_content() ends every part's last line
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    charset = email_charset.Charset("utf-8")
    if _mostly_ascii(text):
        charset.body_encoding = email_charset.QP  # line breaks become the message's CRLF
    else:
        charset.body_encoding = email_charset.BASE64
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")  # RFC 2046's canonical text
    part.set_payload(text, charset=charset)
    return part


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def fast_bytes(message: EmailMultiAlternatives) -> bytes | None:
    """The message as SMTP bytes, built with the email package's compat32 API (about a
    quarter of the time of Django's message(), which parses every header with the modern
    header registry: a fan-out of 10,000 spends most of its worker's time there), or None
    for anything but the outbox's own shape — one ASCII recipient, a text body, at most an
    HTML alternative, no attachments, only the headers the outbox sets, no line break in a
    header — which Django's own serialisation then handles, and checks, as before.
    tests/outbox/test_fast_mime.py compares both, header by header and part by part."""
    alternatives = getattr(message, "alternatives", [])
    headers = {name.lower(): value for name, value in message.extra_headers.items()}
    values = [str(message.subject), message.from_email, *message.to, *message.reply_to]
    values += [str(value) for value in headers.values()]
    if (
        message.attachments
        or message.cc
        or message.bcc
        or len(message.to) != 1
        or len(message.reply_to) > 1
        or not set(headers) <= _HANDLED_HEADERS
        or "message-id" not in headers
        or len(alternatives) > 1
        or any(alternative.mimetype != "text/html" for alternative in alternatives)
        or any("\r" in value or "\n" in value for value in values)
        or not all(address.isascii() for address in [*message.to, *message.reply_to])
    ):
        return None
    body = _text_part(message.body, "plain")
    if alternatives:
        root = MIMEMultipart(
            "alternative", _subparts=[body, _text_part(alternatives[0].content, "html")]
        )
    else:
        root = body
    root["Subject"] = _header(str(message.subject))
    name, address = parseaddr(message.from_email)
    if not address.isascii():
        return None
    root["From"] = formataddr((name, address), charset="utf-8") if name else address
    root["To"] = message.to[0]
    if message.reply_to:
        root["Reply-To"] = message.reply_to[0]
    root["Date"] = formatdate(usegmt=True)
    root["Message-ID"] = headers["message-id"]
    for name in ("auto-submitted", "content-language"):
        if name in headers:
            root[name.title()] = str(headers[name])
    return root.as_bytes(policy=_CRLF)


class SmtpBackend(DjangoSmtpBackend):
    """Django's SMTP backend, with the outbox's emails serialised by fast_bytes."""

    @functools.lru_cache(maxsize=8)  # noqa: B019 - a handful of From addresses, per process
    def _envelope_sender(self, from_email: str) -> str:
        return self.prep_address(from_email)

    def _send(self, email_message) -> bool:
        data = (
            fast_bytes(email_message) if isinstance(email_message, EmailMultiAlternatives) else None
        )
        if data is None:
            return super()._send(email_message)
        from_email = self._envelope_sender(email_message.from_email)
        # fast_bytes took one ASCII address without a line break, as queue_email validated it:
        # its addr-spec is itself, and prep_address would only parse it again.
        recipients = email_message.to
        try:
            self.connection.sendmail(from_email, recipients, data)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
