"""Forms of the coordinator pages. They validate input only: every write goes through
letters.services, never Form.save()."""

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..models import Letter, LetterCoordinator, LetterVersion

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class UTCDateTimeField(forms.DateTimeField):
    """A <input type="datetime-local"> read and shown in UTC, whatever timezone is active:
    the browser sends no zone, so the page says which one it means."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL_FORMAT)

    def to_python(self, value):
        with timezone.override(dt.UTC):
            return super().to_python(value)

    def prepare_value(self, value):
        with timezone.override(dt.UTC):
            return super().prepare_value(value)


class LettersForm(forms.Form):
    """Labels without a trailing colon, as on the rest of the site."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LetterTextFields(LettersForm):
    title = forms.CharField(
        label=_("Title"), max_length=LetterVersion._meta.get_field("title").max_length
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=LetterVersion._meta.get_field("body").max_length,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        help_text=_(
            "Markdown: a blank line between paragraphs, **bold**, *italic*, "
            "[a link](https://example.org), “- ” for a list, “## ” for a heading. "
            "HTML is not allowed."
        ),
    )


class LetterCreateForm(LetterTextFields):
    field_order = ["title", "language", "recipient", "summary", "body"]

    language = forms.ChoiceField(
        label=_("Language of the text"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
        required=False,
        help_text=_(
            "The authoritative text, the one organisations sign, is in this language. You can "
            "add translations for readers; they are labelled as translations."
        ),
    )

    recipient = forms.CharField(
        label=_("Recipient"),
        max_length=Letter._meta.get_field("recipient").max_length,
        help_text=_("To whom the letter is addressed, e.g. “The Secretary of State”."),
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=Letter._meta.get_field("summary").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=Letter._meta.get_field("summary").help_text,
    )


class LetterEditForm(LetterTextFields):
    field_order = ["title", "body", "is_substantive", "note", "base_version"]

    is_substantive = forms.BooleanField(
        label=_("This is a substantive change"),
        required=False,
        help_text=_(
            "A change of meaning. Organisations that signed an earlier version will be asked "
            "to confirm their signature again. Leave unticked for typos and formatting."
        ),
    )
    note = forms.CharField(
        label=_("What changed"),
        max_length=LetterVersion._meta.get_field("note").max_length,
        required=False,
        help_text=_("A short note for the version history, e.g. “Added a paragraph on Tibet”."),
    )
    # The version the coordinator started from: a save on top of a version they have not
    # seen would silently undo a co-coordinator's change.
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SummaryCorrectionForm(LettersForm):
    """The one change a published letter allows: its summary (issue 15, item 6)."""

    summary = forms.CharField(
        label=_("Summary"),
        max_length=Letter._meta.get_field("summary").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What the letter asks, in a sentence or two. Not its status: the page says that "
            "itself. Every correction is kept in the audit trail, with the old summary."
        ),
    )


class LetterSettingsForm(LettersForm):
    recipient = forms.CharField(
        label=_("Recipient"),
        max_length=Letter._meta.get_field("recipient").max_length,
        help_text=Letter._meta.get_field("recipient").help_text,
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=Letter._meta.get_field("summary").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=Letter._meta.get_field("summary").help_text,
    )
    deadline = UTCDateTimeField(
        label=_("Sign-on deadline (UTC)"),
        required=False,
        help_text=_(
            "Date and time in UTC (Coordinated Universal Time), not your local time. "
            "Sign-on closes automatically then. Leave empty for no deadline."
        ),
    )
    publication_date = forms.DateField(
        label=_("Publication date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=Letter._meta.get_field("publication_date").help_text,
    )
    sign_on_mode = forms.ChoiceField(
        label=_("Who can sign"), choices=Letter.SignOnMode.choices, widget=forms.RadioSelect
    )
    moderation_policy = forms.ChoiceField(
        label=_("Moderation"), choices=Letter.ModerationPolicy.choices, widget=forms.RadioSelect
    )
    signatories_public_while_open = forms.BooleanField(
        label=_("Show the list of signatories while collecting"),
        required=False,
        help_text=Letter._meta.get_field("signatories_public_while_open").help_text,
    )
    public_contact_email = forms.EmailField(
        label=_("Public contact address"),
        required=False,
        max_length=Letter._meta.get_field("public_contact_email").max_length,
        help_text=Letter._meta.get_field("public_contact_email").help_text,
    )
    reminder_days_before = forms.IntegerField(
        label=_("Reminder, days before the deadline"),
        min_value=0,
        max_value=60,
        required=False,
        help_text=_(
            "Invited organisations that have not answered get one reminder this many days "
            "before the deadline. 0: no reminder."
        ),
    )

    @classmethod
    def initial_for(cls, letter: Letter) -> dict:
        return {
            "recipient": letter.recipient,
            "summary": letter.summary,
            "deadline": letter.deadline,
            "publication_date": letter.publication_date,
            "sign_on_mode": letter.sign_on_mode,
            "moderation_policy": letter.moderation_policy,
            "signatories_public_while_open": letter.signatories_public_while_open,
            "reminder_days_before": letter.reminder_days_before,
            "public_contact_email": letter.public_contact_email,
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reminder_days_before") is None:
            cleaned.pop("reminder_days_before", None)  # left empty: unchanged
        return cleaned


class ReopenForm(LettersForm):
    deadline = UTCDateTimeField(
        label=_("New deadline (UTC)"),
        required=False,
        help_text=_(
            "Date and time in UTC (Coordinated Universal Time); it must be in the future. "
            "Leave empty to collect signatures until you close sign-on yourself."
        ),
    )


class AddCoordinatorForm(LettersForm):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("Their confirmed account email. They must be in the coordinators group."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=LetterCoordinator.Role.choices,
        initial=LetterCoordinator.Role.EDITOR,
        help_text=_(
            "Editors change the text, settings and lifecycle; owners also manage coordinators."
        ),
    )


class CoordinatorRoleForm(LettersForm):
    role = forms.ChoiceField(label=_("Role"), choices=LetterCoordinator.Role.choices)


class VersionCompareForm(LettersForm):
    """GET parameters of the history page, `from` and `to`: which two versions to compare.
    (Python keywords, so the fields are added in __init__.)"""

    def __init__(self, *args, numbers: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(n, _("Version %(number)s") % {"number": n}) for n in numbers]
        self.fields["from"] = forms.TypedChoiceField(
            label=pgettext_lazy("comparing versions", "From"), coerce=int, choices=choices
        )
        self.fields["to"] = forms.TypedChoiceField(
            label=pgettext_lazy("comparing versions", "To"), coerce=int, choices=choices
        )


class TranslationForm(LettersForm):
    """A translation of the letter's current authoritative version."""

    field_order = ["title", "summary", "body", "note"]

    title = forms.CharField(
        label=_("Title"),
        max_length=LetterVersion._meta.get_field("title").max_length,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 24, "dir": "auto"}),
        help_text=_("Markdown, as the letter's text. Translate it whole: headings, lists, links."),
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        help_text=_("The letter's summary in this language (optional)."),
    )
    note = forms.CharField(
        label=_("What changed"),
        max_length=300,
        required=False,
        help_text=_("A short note for the translation's history (optional)."),
    )
