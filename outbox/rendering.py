"""One email = one template prefix: templates/email/<kind>_subject.txt, <kind>_message.txt and
(optionally) <kind>_message.html, rendered here and nowhere else; and the mail merge that
renders one email for many recipients at the cost of one."""

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class SealedEmail(RenderedEmail):
    """An email already sealed (outbox.link_secrets): placeholders where its link secrets go,
    and the secrets, in placeholder order. The outbox stores it as it is."""

    secrets: tuple[str, ...] = ()


def render_email(
    kind: str, context: dict[str, Any], *, language: str | None = None
) -> RenderedEmail:
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"email/{kind}_subject.txt", context)
        text = render_to_string(f"email/{kind}_message.txt", context)
        try:
            html = render_to_string(f"email/{kind}_message.html", context)
        except TemplateDoesNotExist:
            html = ""
    # A subject is one line: a newline in it would be a header injection.
    subject = " ".join(subject.split())
    return RenderedEmail(subject=subject, text=text.strip() + "\n", html=html.strip())


# --- Mail merge ----------------------------------------------------------------------------------

# Two sets of stand-ins (see MailMerge). Private-use characters come out of escaping, case
# filters and wrapping unchanged, and names cannot contain them (core.validators); a value that
# goes into a link is reversed into a URL, so its stand-in is plain ASCII instead.
_STAND_INS = ("\ue000{}\ue000", "\ue001{0}\ue001{0}\ue001")
_LINK_STAND_INS = ("mailmerge{}standin", "mailmergeb{0}standinb{0}")


class MailMerge:
    """One email for many recipients: rendered once with stand-ins for what differs between
    them (`fields`), then each recipient's values put in, escaped in the HTML part as the
    template engine would. Rendering thousands of emails one by one is most of a large
    fan-out's time; this makes it a string replacement.

    `context_for(values)` builds the template context from a value per field (stand-ins here).
    A template may test whether a value is empty (a greeting without a name), so there is one
    skeleton per set of empty fields. A skeleton is used only if rendering it with a second,
    different set of stand-ins gives exactly what putting that set into the first gives: a
    filter that alters a stand-in (|upper, |truncatechars) makes `render` return None, and the
    caller renders that email in full. A template change can make this slower, never wrong.

    `in_links`: fields that go into a URL (reversed with their stand-in); their values must be
    URL-safe already (a link's secret), since a URL would encode anything else."""

    def __init__(
        self,
        kind: str,
        context_for: Callable[[Mapping[str, str]], dict[str, Any]],
        *,
        fields: Sequence[str],
        in_links: Sequence[str] = (),
        language: str | None = None,
    ) -> None:
        self.kind = kind
        self.context_for = context_for
        self.fields = tuple(fields)
        self.in_links = tuple(in_links)
        # link_secrets.seal_merged's check of each skeleton, by its set of empty fields.
        self.sealing: dict[frozenset[str], Any] = {}
        self.language = language
        self.stand_ins = [
            {field: (links if field in in_links else plain).format(field) for field in self.fields}
            for plain, links in zip(_STAND_INS, _LINK_STAND_INS, strict=True)
        ]
        self.skeletons: dict[frozenset[str], _Skeleton | None] = {}

    def render(self, values: Mapping[str, str]) -> RenderedEmail | None:
        """This recipient's email, or None: render it in full (a template alters a stand-in)."""
        skeleton = self.skeleton(self.empty_fields(values))
        return None if skeleton is None else skeleton.fill(values)

    def empty_fields(self, values: Mapping[str, str]) -> frozenset[str]:
        return frozenset(field for field in self.fields if not values[field])

    def skeleton(self, empty: frozenset[str]) -> "_Skeleton | None":
        """The email cut at its stand-ins, for values with these fields empty; None if a
        template alters a stand-in."""
        if empty not in self.skeletons:
            first, second = (
                render_email(
                    self.kind,
                    self.context_for(
                        {field: "" if field in empty else value for field, value in s.items()}
                    ),
                    language=self.language,
                )
                for s in self.stand_ins
            )
            skeleton = _Skeleton.cut(
                first,
                {self.stand_ins[0][field]: field for field in self.fields if field not in empty},
            )
            swapped = skeleton.fill({field: self.stand_ins[1][field] for field in self.fields})
            self.skeletons[empty] = skeleton if swapped == second else None
        return self.skeletons[empty]


@dataclass(frozen=True)
class _Skeleton:
    """An email cut at its stand-ins: literal text at even positions, a field's name at odd
    ones. Filling it in is a join, whatever the values hold."""

    subject: tuple[str, ...]
    text: tuple[str, ...]
    html: tuple[str, ...]

    @classmethod
    def cut(cls, rendered: RenderedEmail, fields: Mapping[str, str]) -> "_Skeleton":
        """`fields`: the stand-in of each field, mapped to the field."""

        def pieces(text: str) -> tuple[str, ...]:
            if not fields:
                return (text,)
            cut = _stand_in_pattern(fields).split(text)
            return tuple(fields[piece] if i % 2 else piece for i, piece in enumerate(cut))

        return cls(pieces(rendered.subject), pieces(rendered.text), pieces(rendered.html))

    def fill(self, values: Mapping[str, str]) -> RenderedEmail:
        escaped = {field: escape(value) for field, value in values.items()}
        return RenderedEmail(
            # As render_email: one line, even if a value holds a newline.
            subject=" ".join(_join(self.subject, values).split()),
            text=_join(self.text, values),
            html=_join(self.html, escaped),
        )


def _stand_in_pattern(stand_ins: Iterable[str]) -> re.Pattern[str]:
    alternatives = sorted(stand_ins, key=len, reverse=True)
    return re.compile("(" + "|".join(re.escape(s) for s in alternatives) + ")")


def _join(pieces: tuple[str, ...], values: Mapping[str, str]) -> str:
    return "".join(values[piece] if i % 2 else piece for i, piece in enumerate(pieces))
