"""Delivery errors in words people can act on (issue 13).

The outbox keeps the raw error (`SMTPRecipientsRefused: {'x@y': (550, b'5.1.1 ...')}`) for
admins, in the outbox admin. Coordinators see what happened to their invitation in a sentence,
with the server's reply code: the code is what a mail administrator will ask for.
"""

import re

from django.utils.translation import gettext as _

_CODE = re.compile(r"\(\s*(\d{3})\s*,")
_LEADING_CODE = re.compile(r"^\s*(\d{3})\b")


def reply_code(raw: str) -> int | None:
    """The SMTP reply code in a stored error, if it has one."""
    match = _CODE.search(raw) or _LEADING_CODE.search(raw.split(":", 1)[-1])
    return int(match.group(1)) if match else None


def explain_delivery_error(raw: str) -> str:
    """A sentence for people; "" for no error. Never the raw text: it may quote the server's
    internals, and it reads as a crash."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    code = reply_code(raw)
    kind = raw.split(":", 1)[0].strip()
    if kind == "SMTPRecipientsRefused" and code:
        if code >= 500:
            return _(
                "The address was refused by the recipient's mail server (%(code)s). "
                "Check it for typing errors, or ask for another address."
            ) % {"code": code}
        return _("The recipient's mail server asked us to try again later (%(code)s); we will.") % {
            "code": code
        }
    if kind in {"SMTPSenderRefused", "SMTPAuthenticationError"}:
        return _(
            "Our mail server did not accept the message (%(code)s). The site's administrators "
            "have been told; nothing is needed from you."
        ) % {"code": code or "?"}
    if kind == "MissingLinkSecrets":
        return _("The email can no longer be sent as it was written; send the invitation anew.")
    if kind == "DecryptionError":
        return _("The email can no longer be read by the site; send the invitation anew.")
    if kind in {"ValueError", "ValidationError"}:
        return _("The address cannot be used for email. Check it for typing errors.")
    if code and code >= 500:
        return _("The message was refused by a mail server (%(code)s).") % {"code": code}
    if code:
        return _("A mail server asked us to try again later (%(code)s); we will.") % {"code": code}
    return _("Our mail server could not be reached; we will try again.")
