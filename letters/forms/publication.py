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

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_delivered_on(self):
        delivered_on = self.cleaned_data["delivered_on"]
        if delivered_on is not None and delivered_on > timezone.localdate():
            raise forms.ValidationError(
                _(
                    "The delivery is recorded once it has happened: the date cannot be in the future."
                )
            )
        return delivered_on
