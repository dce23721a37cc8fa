"""Forms of the organisation pages. They validate input only; every write goes through
organisations.services.

The organisation forms are plain forms on purpose: a ModelForm would copy the input onto the
instance while validating, and update_organisation() compares the instance with the changes
to know what changed (and what to write to the audit trail).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from . import logos
from .domains import is_public_mail_domain, normalise_domain
from .models import EmailDomain, Membership, Organisation
from .names import normalise_name, validate_detail

LOGO_ACCEPT = "image/png,image/jpeg,image/webp"
# Names and descriptions come in right-to-left scripts too (Uyghur): let the browser pick.
AUTO_DIRECTION = {"dir": "auto"}


class WebAddressField(forms.URLField):
    """A URL that a browser opens as a web page: http or https, nothing else."""

    default_validators = [URLValidator(schemes=["http", "https"])]


class Form(forms.Form):
    """Labels without a trailing colon: the page styles them as headings of their field."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


class OrganisationDetailsForm(Form):
    """The public details of an organisation, shared by the create and edit forms."""

    name = forms.CharField(
        label=_("Name"),
        max_length=_max_length(Organisation, "name"),
        widget=forms.TextInput(attrs=AUTO_DIRECTION),
        help_text=_("The full name, as the organisation writes it, in any script."),
    )
    acronym = forms.CharField(
        label=_("Acronym"),
        max_length=_max_length(Organisation, "acronym"),
        required=False,
        widget=forms.TextInput(attrs=AUTO_DIRECTION),
    )
    based_in = forms.CharField(
        label=_("Based in"),
        max_length=_max_length(Organisation, "based_in"),
        required=False,
        widget=forms.TextInput(attrs=AUTO_DIRECTION),
        help_text=_(
            "Where the organisation works or is based, in its own words (for example "
            "“Tibet”, “East Turkestan” or “Hong Kong”)."
        ),
    )
    website = WebAddressField(
        label=_("Website"),
        max_length=_max_length(Organisation, "website"),
        required=False,
        assume_scheme="https",
        help_text=_("An address starting with https:// or http://."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=_max_length(Organisation, "description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, **AUTO_DIRECTION}),
        help_text=_("Shown on the organisation's public page. At most 2,000 characters."),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": LOGO_ACCEPT}),
        help_text=_("Optional. A PNG, JPEG or WebP image of at most 2 MB."),
    )

    DETAIL_FIELDS = ("name", "acronym", "based_in", "website", "description", "logo")

    def details_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.DETAIL_FIELDS]

    def clean_name(self) -> str:
        validate_detail("name", self.cleaned_data["name"])
        name = " ".join(self.cleaned_data["name"].split())
        if not normalise_name(name):
            raise ValidationError(_("Enter the organisation's name, with at least one letter."))
        return name

    def clean_acronym(self) -> str:
        validate_detail("acronym", self.cleaned_data["acronym"])
        return self.cleaned_data["acronym"]

    def clean_based_in(self) -> str:
        validate_detail("based_in", self.cleaned_data["based_in"])
        return " ".join(self.cleaned_data["based_in"].split())

    def clean_website(self) -> str:
        validate_detail("website", self.cleaned_data["website"])
        return self.cleaned_data["website"]

    def clean_description(self) -> str:
        validate_detail("description", self.cleaned_data["description"])
        return self.cleaned_data["description"]

    def clean_logo(self) -> File | None:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        # Only real PNG/JPEG/WebP within the limits, re-encoded under a server-chosen name.
        return logos.clean_logo(upload)


class OrganisationCreateForm(OrganisationDetailsForm):
    not_a_duplicate = forms.BooleanField(
        label=_("This is a different organisation: none of those listed above is mine"),
        required=False,
    )
    # The name the duplicate warning was shown for: ticking the box only vouches for that name,
    # not for one typed after the warning.
    checked_name = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def acknowledgement_fields(self) -> list[forms.BoundField]:
        return [self["not_a_duplicate"]]

    def duplicates_acknowledged(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("not_a_duplicate")) and normalise_name(
            data.get("checked_name", "")
        ) == normalise_name(data["name"])


class OrganisationEditForm(OrganisationDetailsForm):
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)

    field_order = ["name", "acronym", "based_in", "website", "description", "logo", "remove_logo"]

    def remove_logo_fields(self) -> list[forms.BoundField]:
        return [self["remove_logo"]]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("logo") and cleaned.get("remove_logo"):
            self.add_error(
                "remove_logo", _("Either upload a new logo or remove the current one, not both.")
            )
        return cleaned


class InviteMemberForm(Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(
        label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER
    )


class MemberRoleForm(Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class EmailDomainForm(Form):
    domain = forms.CharField(
        label=_("Email domain"),
        max_length=_max_length(EmailDomain, "domain"),
        help_text=_("The part after the @ in your staff's addresses, such as example.org."),
    )

    def clean_domain(self) -> str:
        domain = normalise_domain(self.cleaned_data["domain"])
        if is_public_mail_domain(domain):
            raise ValidationError(
                _(
                    "%(domain)s is a public mail service: anyone can have an address there, so "
                    "it cannot show that someone works for your organisation."
                ),
                params={"domain": domain},
            )
        return domain
