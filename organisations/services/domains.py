"""Email domains an organisation lists; only moderators verify them."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_moderator
from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError, NotAllowed

from ..domains import is_public_mail_domain, normalise_domain
from ..models import EmailDomain, Organisation
from ..permissions import can_manage_organisation
from .organisations import unseal_organisation


@transaction.atomic
def add_email_domain(*, organisation: Organisation, domain: str, actor: User) -> EmailDomain:
    """List a domain the organisation uses. It proves nothing until a moderator verifies it.
    A sealed organisation is unsealed first: a domain stored in clear would name it anyway."""
    if not can_manage_organisation(actor, organisation):
        raise NotAllowed(_("Only the organisation's administrators can add email domains."))
    domain = normalise_domain(domain)
    if organisation.is_sealed:
        organisation = unseal_organisation(organisation=organisation)
    if organisation.email_domains.filter(domain=domain).exists():
        raise DomainError(_("%(domain)s is already listed.") % {"domain": domain})
    email_domain = EmailDomain.objects.create(organisation=organisation, domain=domain)
    record_event(
        action=Action.ORGANISATION_DOMAIN_ADDED,
        actor=actor,
        organisation=organisation,
        target=email_domain,
        data={"domain": domain},
    )
    return email_domain


@transaction.atomic
def set_email_domain_verified(
    *, email_domain: EmailDomain, moderator: User, verified: bool = True
) -> EmailDomain:
    """Only a moderator decides that addresses at a domain speak for the organisation."""
    if not is_moderator(moderator):
        raise NotAllowed(_("Only moderators can verify email domains."))
    if verified and is_public_mail_domain(email_domain.domain):
        raise DomainError(
            _("%(domain)s is a public mail service: anyone can have an address there.")
            % {"domain": email_domain.domain}
        )
    if email_domain.is_verified == verified:
        return email_domain
    if (
        verified
        and EmailDomain.objects.filter(domain=email_domain.domain, is_verified=True)
        .exclude(pk=email_domain.pk)
        .exists()
    ):
        raise DomainError(
            _("%(domain)s is already verified for another organisation.")
            % {"domain": email_domain.domain}
        )
    email_domain.is_verified = verified
    email_domain.verified_at = timezone.now() if verified else None
    email_domain.verified_by = moderator if verified else None
    email_domain.save(update_fields=["is_verified", "verified_at", "verified_by", "updated_at"])
    record_event(
        action=Action.ORGANISATION_DOMAIN_VERIFIED
        if verified
        else Action.ORGANISATION_DOMAIN_UNVERIFIED,
        actor=moderator,
        organisation=email_domain.organisation,
        target=email_domain,
        data={"domain": email_domain.domain},
    )
    return email_domain


@transaction.atomic
def remove_email_domain(*, email_domain: EmailDomain, actor: User) -> None:
    """Org admins remove unverified domains; a verified one only a moderator can remove."""
    organisation = email_domain.organisation
    if email_domain.is_verified and not is_moderator(actor):
        raise NotAllowed(_("A verified domain can only be removed by a moderator."))
    if not can_manage_organisation(actor, organisation):
        raise NotAllowed(_("Only the organisation's administrators can remove email domains."))
    record_event(
        action=Action.ORGANISATION_DOMAIN_REMOVED,
        actor=actor,
        organisation=organisation,
        data={"domain": email_domain.domain},
    )
    email_domain.delete()
