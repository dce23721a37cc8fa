from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.events import Event

from .letters import LettersForm


class WebhookForm(LettersForm):
    url = forms.URLField(
        label=_("Address (URL)"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "An https:// address on the public internet. Private, local and reserved networks "
            "are refused."
        ),
        widget=forms.URLInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The events this address is told of."),
    )
