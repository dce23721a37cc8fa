"""Forms of moderation: the reason for a rejection, the choices of a merge."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Signature
from ..selectors.merge import MergePlan


class RejectionForm(forms.Form):
    """A coded reason and a note; both are stored and sent to the signer. The note is written
    about one organisation: for more than one signature (`count`) the form has no note field,
    and refuses one posted anyway, so that it never reaches another organisation's signer."""

    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=Signature.RejectionReason.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note to the signer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60, "dir": "auto"}),
        help_text=_(
            "Sent to the signer with the reason, and shown to the letter's coordinators. "
            "Required when the reason is “Other”."
        ),
    )

    def __init__(self, *args, count: int = 1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.for_several = count > 1
        if self.for_several:
            del self.fields["note"]

    def clean(self):
        cleaned = super().clean()
        if self.for_several:
            cleaned["note"] = ""
            if (self.data.get("note") or "").strip():
                raise forms.ValidationError(NOTE_FOR_ONE_ONLY, code="note_for_several")
            if cleaned.get("reason") == Signature.RejectionReason.OTHER:
                self.add_error("reason", OTHER_FOR_ONE_ONLY)
        elif (
            cleaned.get("reason") == Signature.RejectionReason.OTHER
            and not (cleaned.get("note") or "").strip()
        ):
            self.add_error("note", _("Explain the reason when you choose “Other”."))
        return cleaned


NOTE_FOR_ONE_ONLY = _(
    "A note is written about one organisation, so it cannot go to several signers. "
    "Reject these signatures with the reason alone, or one by one to add a note to each."
)
OTHER_FOR_ONE_ONLY = _(
    "“Other” needs a note about the organisation: reject these signatures one by one."
)


class MergeForm(forms.Form):
    """One choice per conflict (a letter both organisations signed): which signature stays."""

    def __init__(self, plan: MergePlan, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        for conflict in plan.conflicts:
            source, target = conflict.source_signature, conflict.target_signature
            self.fields[self.field_name(conflict.letter.pk)] = forms.TypedChoiceField(
                label=conflict.letter.title,
                coerce=int,
                widget=forms.RadioSelect,
                choices=[
                    (
                        target.pk,
                        _("Keep the signature of %(organisation)s (%(status)s, %(signer)s)")
                        % {
                            "organisation": plan.target.name,
                            "status": target.get_status_display(),
                            "signer": target.signer_email,
                        },
                    ),
                    (
                        source.pk,
                        _("Keep the signature of %(organisation)s (%(status)s, %(signer)s)")
                        % {
                            "organisation": plan.source.name,
                            "status": source.get_status_display(),
                            "signer": source.signer_email,
                        },
                    ),
                ],
            )

    @staticmethod
    def field_name(letter_id: int) -> str:
        return f"keep_{letter_id}"

    def resolutions(self) -> dict[int, int]:
        return {
            conflict.letter.pk: self.cleaned_data[self.field_name(conflict.letter.pk)]
            for conflict in self.plan.conflicts
        }
