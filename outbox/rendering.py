"""One email = one template prefix: templates/email/<kind>_subject.txt, <kind>_message.txt and
(optionally) <kind>_message.html, rendered here and nowhere else."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


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
