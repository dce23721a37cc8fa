"""The account's own forms: the name asked at sign-up and changed in the account's settings,
and the request to coordinate letters. Validation here, changes in accounts.services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.validators import validate_plain_text

from . import services
from .models import User

NAME_HELP = _(
    "As your colleagues know you. Shown to the people you coordinate letters or organisations "
    "with, and to our moderators; never on a public page."
)


class NameField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Your name"))
        kwargs.setdefault("help_text", NAME_HELP)
        kwargs.setdefault("max_length", User._meta.get_field("name").max_length)
        kwargs.setdefault("validators", [validate_plain_text])
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("autocomplete", "name")


class SignupDetailsForm(forms.Form):
    """allauth's sign-up form is built on this one (ACCOUNT_SIGNUP_FORM_CLASS): the name is
    asked first, then the email address and password."""

    name = NameField()
    field_order = ["name", "email", "password1", "password2"]

    def signup(self, request, user: User) -> None:
        services.set_display_name(user=user, name=self.cleaned_data["name"])


class DisplayNameForm(forms.Form):
    name = NameField()


class CoordinatorRequestForm(forms.Form):
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=200,
        help_text=_("The organisation you would coordinate letters for."),
        validators=[validate_plain_text],
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    purpose = forms.CharField(
        label=_("The letter you want to coordinate"),
        max_length=2000,
        help_text=_(
            "Its subject, whom it is addressed to, and which organisations you would invite. "
            "Only moderators read this."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def clean_purpose(self) -> str:
        purpose = self.cleaned_data["purpose"].strip()
        if len(purpose) < 20:
            raise ValidationError(
                _("Tell the moderators a little more: at least a sentence about the letter.")
            )
        return purpose
