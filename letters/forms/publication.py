"""The form of the publish confirmation page: the delivery record. Input only; the service
(letters.services.publish_letter) records it."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import LetterDelivery


class PublishForm(forms.Form):
    # Both may be left empty: the delivery is then recorded as today, to the letter's recipient.
    delivered_on = forms.DateField(
        label=_("Delivered on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: today."),
    )
    delivered_to = forms.CharField(
        label=_("Delivered to"),
        max_length=LetterDelivery._meta.get_field("delivered_to").max_length,
        required=False,
        help_text=_("Who received the letter: a person, an office. Empty: the recipient."),
    )
    method = forms.CharField(
        label=_("How"),
        max_length=LetterDelivery._meta.get_field("method").max_length,
        required=False,
        help_text=_("Free text, e.g. “by email to the Secretary's private office”, “by hand”."),
    )

    # Signatures of a text changed in substance since, never re-confirmed (issue 11, item 12).
    older_versions = forms.ChoiceField(
        label=_("Signatures of an earlier text"),
        choices=LetterDelivery.OlderVersions.choices,
        initial=LetterDelivery.OlderVersions.MARK,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "Organisations that signed before a substantive change and did not re-confirm "
            "agreed to another text. Either each is shown, on every list and in every file, "
            "with the version it signed, or they are left out of the letter and told so."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_older_versions(self) -> str:
        return self.cleaned_data["older_versions"] or LetterDelivery.OlderVersions.MARK

    def clean_delivered_on(self):
        delivered_on = self.cleaned_data["delivered_on"]
        if delivered_on is not None and delivered_on > timezone.localdate():
            raise forms.ValidationError(
                _(
                    "The delivery is recorded once it has happened: the date cannot be in the future."
                )
            )
        return delivered_on
