"""An account holder's data (issue 12, item 4): a download of everything held about the
account, and the account's deletion. Here rather than in accounts because both reach into
letters (the letters they coordinate, the signatures they gave) and organisations (what they
administer), and accounts imports neither."""

import dataclasses
import json
from typing import Any

from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_moderator
from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed
from organisations import services as organisation_services
from organisations.models import Membership, Organisation, OrganisationFlag

from ..models import DataRequest, Letter, LetterCoordinator, Signature
from .data_requests import signatures_of_address


@dataclasses.dataclass
class DeletionPlan:
    """What deleting an account would leave behind, for the confirmation page."""

    # Organisations it alone administers, each with the members who could take over.
    sole_admin_of: list[tuple[Organisation, list[Membership]]]
    # Letters it alone owns: their coordinators must name another owner first.
    sole_owner_of: list[Letter]
    staff: bool

    @property
    def blocked(self) -> bool:
        return self.staff or bool(self.sole_owner_of)


def deletion_plan(user: User) -> DeletionPlan:
    sole_admin_of = []
    for membership in Membership.objects.filter(
        user=user, role=Membership.Role.ADMIN
    ).select_related("organisation"):
        organisation = membership.organisation
        others = Membership.objects.filter(organisation=organisation).exclude(user=user)
        if not others.filter(role=Membership.Role.ADMIN).exists():
            sole_admin_of.append((organisation, list(others.select_related("user"))))
    sole_owner_of = [
        role.letter
        for role in LetterCoordinator.objects.filter(
            user=user, role=LetterCoordinator.Role.OWNER
        ).select_related("letter")
        if not LetterCoordinator.objects.filter(
            letter=role.letter, role=LetterCoordinator.Role.OWNER
        )
        .exclude(user=user)
        .exists()
    ]
    staff = bool(user.is_staff or user.is_superuser or is_moderator(user))
    return DeletionPlan(sole_admin_of=sole_admin_of, sole_owner_of=sole_owner_of, staff=staff)


def account_data(user: User) -> dict[str, Any]:
    """Everything held about the account, as the download gives it."""
    from allauth.account.models import EmailAddress

    submitted = Signature.objects.filter(submitted_by=user).select_related("letter", "version")
    signed_as = signatures_of_address(user.email)
    return {
        "generated_at": timezone.now().isoformat(),
        "account": {
            "email": user.email,
            "name": user.name,
            "joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "email_addresses": [
                {"email": e.email, "verified": e.verified, "primary": e.primary}
                for e in EmailAddress.objects.filter(user=user)
            ],
        },
        "memberships": [
            {"organisation": m.organisation.name, "role": m.role, "since": m.created_at.isoformat()}
            for m in Membership.objects.filter(user=user).select_related("organisation")
        ],
        "requests_to_coordinate": [
            {
                "organisation": r.organisation,
                "letter": r.purpose,
                "status": r.status,
                "asked": r.created_at.isoformat(),
                "decided": r.decided_at.isoformat() if r.decided_at else None,
            }
            for r in user.coordinator_requests.all()
        ],
        "letters_coordinated": [
            {"letter": c.letter.title, "role": c.role}
            for c in LetterCoordinator.objects.filter(user=user).select_related("letter")
        ],
        "signatures": [
            {
                "letter": s.letter.title,
                "organisation": s.name_for_signer,
                "signer_name": s.signer_name,
                "signer_email": s.signer_email,
                "visibility": s.visibility,
                "status": str(s.status_for_signer),
                "version": s.version.number,
                "signed_at": s.created_at.isoformat(),
            }
            for s in {s.pk: s for s in [*submitted, *signed_as]}.values()
        ],
    }


@transaction.atomic(durable=True)
def export_account(*, user: User) -> str:
    """The account's data as JSON, recorded as a request moderators can see."""
    DataRequest.objects.create(
        kind=DataRequest.Kind.ACCOUNT_EXPORT,
        state=DataRequest.State.DONE,
        account_id=user.pk,
        completed_at=timezone.now(),
    )
    return json.dumps(account_data(user), ensure_ascii=False, indent=2)


@transaction.atomic(durable=True)
def delete_account(*, user: User, handovers: dict[int, int]) -> DataRequest:
    """Delete the account. Each organisation it alone administers goes to the member chosen in
    `handovers` (organisation id → membership id), or is flagged to moderators. Refused for
    staff (another administrator closes theirs, so that the trail keeps someone accountable)
    and while it alone owns a letter. Signatures stay with their organisations; the audit
    trail keeps its events without the account's address."""
    plan = deletion_plan(user)
    if plan.staff:
        raise NotAllowed(
            _("Staff accounts are closed by another administrator: ask one to close yours.")
        )
    if plan.sole_owner_of:
        raise DomainError(
            _("You are the only owner of “%(title)s”: make another coordinator an owner first.")
            % {"title": plan.sole_owner_of[0].title}
        )
    flagged = []
    for organisation, members in plan.sole_admin_of:
        chosen = next((m for m in members if m.pk == handovers.get(organisation.pk)), None)
        if chosen is not None:
            organisation_services.change_member_role(
                membership=chosen, role=Membership.Role.ADMIN, actor=user
            )
        else:
            organisation_services.flag_for_moderators(
                organisation=organisation,
                kind=OrganisationFlag.Kind.NO_ADMIN,
                raised_by=None,
                note=_("Its only administrator deleted their account."),
            )
            flagged.append(organisation.pk)
    # The trail keeps what happened, not who the account was.
    address = user.email
    for event in AuditEvent.objects.annotate(text=Cast("data", TextField())).filter(
        text__icontains=address
    ):
        event.data = json.loads(json.dumps(event.data).replace(address, "(deleted account)"))
        event.save(update_fields=["data"])
    AuditEvent.objects.filter(reason__icontains=address).update(reason="")
    request = DataRequest.objects.create(
        kind=DataRequest.Kind.ACCOUNT_DELETION,
        state=DataRequest.State.DONE,
        account_id=user.pk,
        completed_at=timezone.now(),
        note=_("Organisations flagged for having no administrator: %(ids)s")
        % {"ids": ", ".join(map(str, flagged))}
        if flagged
        else "",
    )
    user.delete()
    return request
