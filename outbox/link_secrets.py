"""Stored bodies hold no live link (issue 11, item 8).

A queued email is stored with each link secret replaced by a placeholder, `{{secret:0}}`,
`{{secret:1}}`, …; the secrets themselves go, encrypted (core.crypto), into the row's
`link_secrets`, which is erased once the email is sent or has failed for good. They are put
back only into the message handed to the mail server. So the outbox admin, a backup or a copy
of the database shows every email as it was sent, links included, except for their secrets.

What is a secret is found, not declared: every link to SITE_URL whose route takes an argument
named in SECRET_ARGUMENTS (`token`, `secret`, `key`: the signature, widening, invitation,
membership-invitation, email-confirmation and password-reset links) has that argument sealed,
and so has every other occurrence of the same value in the email. A new kind of email with
such a link is covered without a change here; a route whose secret has another name must be
added to SECRET_ARGUMENTS (tests/security/test_leaked_database.py checks the real flows).
"""

import re
import secrets as random
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve

from .rendering import MailMerge, RenderedEmail, SealedEmail

SECRET_ARGUMENTS = frozenset({"token", "secret", "key"})
# Shorter values are not link secrets (a real one is 20+ random characters): replacing them
# everywhere could garble the text.
MIN_SECRET_LENGTH = 16
PLACEHOLDER = "{{secret:%d}}"
_PLACEHOLDER = re.compile(r"\{\{secret:(\d+)\}\}")
_TRAILING = ".,;:!?)]"


def _link_pattern() -> re.Pattern[str]:
    return re.compile(re.escape(settings.SITE_URL) + r"(/[^\s\"'<>]*)")


def _secrets_of_path(path: str) -> list[str]:
    for candidate in dict.fromkeys((path, path.rstrip(_TRAILING))):
        try:
            match = resolve(urlsplit(candidate).path)
        except Resolver404:
            continue
        found = []
        for name, value in match.kwargs.items():
            secret = (
                name in SECRET_ARGUMENTS
                and isinstance(value, str)
                and len(value) >= MIN_SECRET_LENGTH
            )
            if secret:
                found += dict.fromkeys((value, quote(value, safe="!$&'()*+,;=/~:@")))
        return found
    return []


def secrets_in(texts: Iterable[str]) -> list[str]:
    """The link secrets in these texts, each once, in order of appearance."""
    pattern = _link_pattern()
    # Each link resolved once: an email's text and HTML carry the same links (resolving is
    # most of the cost of queueing a fan-out's 10,000 emails).
    paths = dict.fromkeys(path for text in texts for path in pattern.findall(text))
    found: dict[str, None] = {}
    for path in paths:
        found.update(dict.fromkeys(_secrets_of_path(path)))
    return list(found)


def seal(rendered: RenderedEmail) -> tuple[RenderedEmail, list[str]]:
    """The email with its link secrets replaced by placeholders, and the secrets (the value of
    placeholder n is secrets[n]). A placeholder-like text already in the email (a letter's
    title could hold one) is defused first, so that only ours are ever filled in."""
    parts = [
        part.replace("{{secret:", "{{ secret:")
        for part in (rendered.subject, rendered.text, rendered.html)
    ]
    found = secrets_in(parts)
    # Longest first: a secret that contains another is replaced whole.
    for index, secret in sorted(enumerate(found), key=lambda pair: -len(pair[1])):
        parts = [part.replace(secret, PLACEHOLDER % index) for part in parts]
    return RenderedEmail(subject=parts[0], text=parts[1], html=parts[2]), found


def unfilled(text: str, secrets: Sequence[str]) -> bool:
    """Does the text hold a placeholder these secrets cannot fill?"""
    return any(int(m.group(1)) >= len(secrets) for m in _PLACEHOLDER.finditer(text))


def fill(text: str, secrets: Sequence[str]) -> str:
    """Put the secrets back in (at send time only)."""

    def value(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return secrets[index] if index < len(secrets) else match.group(0)

    return _PLACEHOLDER.sub(value, text)


# Where seal_merged puts a secret before the text is defused: a private-use character and a
# value drawn per process, which no template, title or name holds.
_MARK = "\ue002" + random.token_hex(8) + "%d\ue002"
_NOT_SEALABLE = object()


def seal_merged(merge: MailMerge, values: Mapping[str, str]) -> SealedEmail | None:
    """seal(merge.render(values)), without looking for links in every email of a fan-out
    (resolving its 20,000 links was a fifth of the import's time): the secrets are the values
    of the merge's `in_links` fields. Trusted only for a skeleton where sealing the email of
    the stand-ins finds exactly the stand-ins of those fields, and gives what this gives;
    otherwise, or for a value a URL would change, None (the caller seals it the usual way).
    tests/letters compare it with seal() of the email rendered in full."""
    empty = merge.empty_fields(values)
    if any(field in empty for field in merge.in_links):
        return None
    if empty not in merge.sealing:
        merge.sealing[empty] = _check_sealing(merge, empty)
    order = merge.sealing[empty]
    # A value is put in as it is: only one a reversed URL holds unchanged (URL-safe, or a
    # signed token's ":" separators, which a path keeps) is sealed here.
    if order is _NOT_SEALABLE or any(quote(values[f], safe=":") != values[f] for f in order):
        return None
    if any(settings.SITE_URL in value for field, value in values.items() if field not in order):
        return None  # a name holding one of our links: seal() looks at it, as for any email
    return _merged(merge, empty, values, order)


def _merged(
    merge: MailMerge, empty: frozenset[str], values: Mapping[str, str], order: tuple[str, ...]
) -> SealedEmail | None:
    skeleton = merge.skeleton(empty)
    if skeleton is None:
        return None
    marked = dict(values)
    for index, field in enumerate(order):
        marked[field] = _MARK % index
    filled = skeleton.fill(marked)
    parts = []
    for part in (filled.subject, filled.text, filled.html):
        part = part.replace("{{secret:", "{{ secret:")  # as seal() defuses the whole text
        for index in range(len(order)):
            part = part.replace(_MARK % index, PLACEHOLDER % index)
        parts.append(part)
    return SealedEmail(
        subject=parts[0],
        text=parts[1],
        html=parts[2],
        secrets=tuple(values[field] for field in order),
    )


def _check_sealing(merge: MailMerge, empty: frozenset[str]) -> tuple[str, ...] | object:
    """The in_links fields in placeholder order if, for the stand-ins, seal_merged gives
    exactly what seal() gives; else _NOT_SEALABLE."""
    skeleton = merge.skeleton(empty)
    if skeleton is None:
        return _NOT_SEALABLE
    stand_ins = {
        field: "" if field in empty else value for field, value in merge.stand_ins[0].items()
    }
    expected, found = seal(skeleton.fill(stand_ins))
    by_value = {stand_ins[field]: field for field in merge.in_links}
    if len(by_value) != len(merge.in_links) or set(found) != set(by_value):
        return _NOT_SEALABLE
    order = tuple(by_value[secret] for secret in found)
    ours = _merged(merge, empty, stand_ins, order)
    if ours is None or RenderedEmail(ours.subject, ours.text, ours.html) != expected:
        return _NOT_SEALABLE
    return order
