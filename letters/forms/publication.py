"""The form of the publish confirmation page: the delivery record. Input only; the service
(letters.services.publish_letter) records it."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..documents import clean_response_pdf
from ..models import LetterDelivery, LetterResponse


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


class ResponseForm(forms.Form):
    """The recipient's response, or a follow-up update, recorded on a published letter."""

    kind = forms.ChoiceField(
        label=_("What is it?"),
        choices=LetterResponse.Kind.choices,
        initial=LetterResponse.Kind.RESPONSE,
        widget=forms.RadioSelect,
    )
    received_on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("When the response was received, or when the update happened."),
    )
    from_whom = forms.CharField(
        label=_("From"),
        max_length=LetterResponse._meta.get_field("from_whom").max_length,
        required=False,
        help_text=_("Who responded, e.g. “the Secretary's private office”. Needed for a response."),
    )
    text = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 10, "dir": "auto"}),
        help_text=_("The response or the update, in Markdown. Optional if you upload a PDF."),
    )
    document = forms.FileField(
        label=_("The response as a PDF"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    email_signers = forms.BooleanField(
        label=_("Email every organisation that signed"),
        required=False,
        help_text=_(
            "Each approved signer gets one email in their language. Organisations that "
            "withdrew are not emailed."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.document_pages = 0
        self.fields["received_on"].initial = timezone.localdate()
        self.fields["document"].help_text = _(
            "Optional. A PDF of at most %(mb)d MB, without a password, scripts or embedded files."
        ) % {"mb": settings.RESPONSE_PDF_MAX_BYTES // (1024 * 1024)}

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if not upload:
            return None
        clean, self.document_pages = clean_response_pdf(upload)
        return clean

    def clean(self):
        cleaned = super().clean()
        if (
            not self.errors
            and not (cleaned.get("text") or "").strip()
            and not cleaned.get("document")
        ):
            raise forms.ValidationError(_("Give the text of the response, or upload it as a PDF."))
        return cleaned
