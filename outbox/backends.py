"""Email backends: the transport the outbox sends through (settings.MAILERS), nothing else
calls them.

A console backend for the embedded default that prints emails as a person reads them:
headers and the plain-text body, decoded — links whole, not cut by quoted-printable."""

from django.core.mail.backends.console import EmailBackend


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
