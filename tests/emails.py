"""Reading the emails the SMTP server (aiosmtpd, tests/conftest.py `smtp_server`) received."""

from email.header import decode_header, make_header
from email.message import Message


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
