"""Log lines without personal data or secrets (issue 12; README "Privacy").

Every record that reaches the console handler is rewritten by `RedactSecrets` first: email
addresses become `<email>`, and the secret part of a link (the path segment after a tokened
route, a long token-like segment anywhere in a path, a `token=`/`key=`/`secret=` query value)
becomes `<secret>`. The exception text is redacted too, since database errors quote values
("Key (email)=(…) already exists"). Logs are read by more people, and kept longer, than the
database; what they hold must not open a link or name a signer.
"""

import logging
import re

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# The segment after a route whose next segment is a secret, and any long token-like segment.
TOKENED_ROUTE = re.compile(
    r"(/(?:invitations|confirm|manage|key|confirm-email|widen|export|erase|lead)/)"
    r"[A-Za-z0-9_:.\-]{8,}"
)
# A long segment with an upper-case letter (base64: signed tokens, token_urlsafe) or a long
# hexadecimal one; a slug (lower case, words joined by hyphens) is not a secret.
LONG_TOKEN = re.compile(
    r"(?<=/)(?:(?=[A-Za-z0-9_:\-]*[A-Z])[A-Za-z0-9_:\-]{20,}|[0-9a-f]{32,})(?=/|$|\?|\s)"
)
SECRET_QUERY = re.compile(r"((?:token|key|secret|code)=)[^&\s]+", re.IGNORECASE)


def redact(text: str) -> str:
    text = EMAIL.sub("<email>", text)
    text = TOKENED_ROUTE.sub(r"\1<secret>", text)
    text = LONG_TOKEN.sub("<secret>", text)
    return SECRET_QUERY.sub(r"\1<secret>", text)


class RedactSecrets(logging.Filter):
    """A handler filter: formats the message once, redacted, and drops the arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
