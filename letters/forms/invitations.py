"""Forms of the invitations pages: invite one contact, upload a CSV, correct a row of the
preview, filter the tracking page, and the invitee's decline and pass-on forms."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.spreadsheets import looks_like_formula

from ..models import Invitation
from .signing import PlainTextField


class NameField(PlainTextField):
    """A name as typed in a form: plain text that a spreadsheet would not run as a formula."""

    def validate(self, value):
        super().validate(value)
        if value and looks_like_formula(value):
            raise ValidationError(
                _("Start with the name itself, not “%(char)s”."),
                code="formula",
                params={"char": value[0]},
            )


class ContactEmailField(forms.EmailField):
    def validate(self, value):
        super().validate(value)
        if value and (looks_like_formula(value) or "." not in value.rsplit("@", 1)[-1]):
            raise ValidationError(_("Enter a valid email address."), code="invalid")


class InviteForm(forms.Form):
    organisation_name = NameField(
        label=_("Organisation"),
        max_length=200,
        help_text=_(
            "An organisation already on Undersigned is found by its name (or by the verified "
            "domain of the address); otherwise it is registered, unverified, when your contact "
            "signs."
        ),
    )
    contact_name = NameField(label=_("Contact name"), max_length=150)
    email = ContactEmailField(label=_("Email"), max_length=254)
    language = forms.ChoiceField(
        label=_("Language of the invitation"),
        choices=settings.LANGUAGES,
        required=False,  # empty: the letter's (services.invite)
        help_text=_("The email, and the pages its link opens, are in this language."),
    )

    def __init__(
        self,
        *args,
        organisation_names: list[str] | None = None,
        letter_language: str = "",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = letter_language or settings.LANGUAGE_CODE
        if organisation_names:
            self.fields["organisation_name"].widget.attrs["list"] = "organisation-names"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: organisation, contact name, email and, optionally, based in and language "
            "(en, zh-hans, zh-hant, bo or ug; empty: the letter's). UTF-8, separated by commas "
            "or semicolons."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.INVITATION_CSV_MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(max)s MB. Split it into smaller files."),
                code="too_large",
                params={"max": settings.INVITATION_CSV_MAX_BYTES // (1024 * 1024)},
            )
        return upload


class ImportRowForm(forms.Form):
    """One row of the preview, to correct in place. Its checks are the import's own
    (letters.contact_lists.row_errors), run on the whole file after the change."""

    organisation = forms.CharField(label=_("Organisation"), max_length=400, required=False)
    contact_name = forms.CharField(label=_("Contact name"), max_length=300, required=False)
    email = forms.CharField(label=_("Email"), max_length=400, required=False)
    based_in = forms.CharField(label=_("Based in"), max_length=200, required=False)
    language = forms.CharField(label=_("Language"), max_length=40, required=False)
    drop = forms.BooleanField(label=_("Drop this row"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["dir"] = "auto"


class InvitationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All"))] + Invitation.Status.choices,
        required=False,
    )
    q = forms.CharField(label=_("Search"), max_length=100, required=False)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why not? (optional)"),
        help_text=_("Only the letter's coordinators read this."),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )


class ForwardForm(forms.Form):
    contact_name = NameField(label=_("Their name"), max_length=150)
    email = ContactEmailField(label=_("Their email"), max_length=254)
