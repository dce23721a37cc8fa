"""The catalogue of events a coordinator's endpoint can subscribe to (README "Webhooks").

Names are `<object>.<what happened>`, stable: receivers switch on them. Labels are what the
subscription form shows.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    SIGNATURE_CONFIRMED = "signature.confirmed", _("A signature was confirmed")
    SIGNATURE_APPROVED = "signature.approved", _("A signature was approved")
    SIGNATURE_REJECTED = "signature.rejected", _("A signature was rejected")
    SIGNATURE_WITHDRAWN = "signature.withdrawn", _("A signature was withdrawn")
    INVITATION_ACCEPTED = "invitation.accepted", _("An invitation was accepted")
    INVITATION_DECLINED = "invitation.declined", _("An invitation was declined")
    LETTER_OPENED = "letter.opened", _("The letter was opened for signatures")
    LETTER_CLOSED = "letter.closed", _("The letter was closed")
    LETTER_PUBLISHED = "letter.published", _("The letter was published")
    RESPONSE_RECORDED = "response.recorded", _("A response or an update was recorded")


# Sent to one endpoint on a coordinator's request ("Send a test"), whatever it subscribed to.
PING = "ping"

EVENT_NAMES = frozenset(Event.values)
