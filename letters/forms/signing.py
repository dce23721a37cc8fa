"""Forms of the signing workflow: signing, changing visibility, withdrawing."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import validate_plain_text

from ..models import Signature


class PlainTextField(forms.CharField):
    """A one-line text in any script, without control characters, markup or emoji."""

    default_validators = [validate_plain_text]
    # Names in Uyghur or Arabic script read right to left: let the browser pick the direction.
    widget = forms.TextInput(attrs={"dir": "auto"})

    def to_python(self, value):
        value = super().to_python(value)
        return " ".join(value.split()) if value else value


class VisibilityFields(forms.Form):
    visibility = forms.ChoiceField(
        label=_("How may your organisation's name appear?"),
        choices=Signature.Visibility.choices,
        initial=Signature.Visibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    show_signer_name = forms.BooleanField(
        label=_("Show my own name and title beside the organisation"),
        required=False,
        help_text=_("Off by default. Your email address is never shown."),
    )


class SignForm(VisibilityFields):
    """Sign on behalf of an organisation.

    `organisation_name` matches an existing organisation by its normalised name, or proposes a
    new (unverified) one. When an invitation fixes the organisation, the field is removed.
    """

    organisation_name = PlainTextField(label=_("Organisation"), max_length=200)
    based_in = PlainTextField(
        label=_("Based in"),
        max_length=100,
        required=False,
        help_text=_("Where your organisation works or is based, in your own words."),
    )
    signer_name = PlainTextField(label=_("Your name"), max_length=150)
    signer_title = PlainTextField(label=_("Your title or role"), max_length=150, required=False)
    signer_email = forms.EmailField(
        label=_("Your work email"),
        max_length=254,
        help_text=_(
            "We send a confirmation link here. An address at your organisation's own domain "
            "helps the moderators confirm the signature."
        ),
    )
    consent = forms.BooleanField(
        label=_("I have read the privacy notice and sign on behalf of my organisation"),
        required=True,
    )
    # A honeypot: hidden from people by CSS and from assistive technology; bots fill it in.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    field_order = [
        "organisation_name",
        "based_in",
        "signer_name",
        "signer_title",
        "signer_email",
        "visibility",
        "show_signer_name",
        "consent",
        "website",
    ]

    def __init__(self, *args, invitation=None, **kwargs):
        super().__init__(*args, **kwargs)
        # An invitation names the organisation: the signer cannot sign for another one.
        self.invitation = invitation
        if invitation is not None:
            del self.fields["organisation_name"]
            if invitation.organisation is not None:
                del self.fields["based_in"]

    def clean_signer_email(self) -> str:
        email = self.cleaned_data["signer_email"]
        validate_plain_text(email)
        return email.strip()

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get("website"))


class MemberSignForm(VisibilityFields):
    """A logged-in member signs for one of their organisations in one step."""

    organisation = forms.ModelChoiceField(
        label=_("Sign on behalf of"), queryset=None, empty_label=None
    )
    signer_name = PlainTextField(label=_("Your name"), max_length=150)
    signer_title = PlainTextField(label=_("Your title or role"), max_length=150, required=False)
    consent = forms.BooleanField(
        label=_("I have read the privacy notice and sign on behalf of my organisation"),
        required=True,
    )

    field_order = [
        "organisation",
        "signer_name",
        "signer_title",
        "visibility",
        "show_signer_name",
        "consent",
    ]

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, withdraw my organisation's signature"), required=True
    )
