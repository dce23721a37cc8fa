from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.roles import is_moderator

from .models import Membership, MembershipInvitation, Organisation


def membership_of(user: User | AnonymousUser, organisation: Organisation) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organisation=organisation).first()


def can_manage_organisation(user: User | AnonymousUser, organisation: Organisation) -> bool:
    """Org admins edit their organisation and its members; moderators may too."""
    if is_moderator(user):
        return True
    membership = membership_of(user, organisation)
    return membership is not None and membership.is_admin


def can_see_members(user: User | AnonymousUser, organisation: Organisation) -> bool:
    return is_moderator(user) or membership_of(user, organisation) is not None


def can_accept_invitation(user: User | AnonymousUser, invitation: MembershipInvitation) -> bool:
    """Only the owner of the invited address: logged in with it confirmed. The link alone is
    not enough, since emails get forwarded."""
    if not user.is_authenticated:
        return False
    return user.emailaddress_set.filter(email__iexact=invitation.email, verified=True).exists()


# The letters app's rules, named here by their stored values (organisations does not import
# letters): a signature names its organisation publicly when it is approved and public, on a
# letter whose list of signatories is public — published, or open or closed with "show
# signatories while collecting" on (letters.models.Letter.signatories_are_public). Under
# embargo a public signature names nobody yet.
_NAMED_PUBLICLY = Q(
    public_signatures__status="approved",
    public_signatures__visibility="public",
) & (
    Q(public_signatures__letter__status="published")
    | Q(
        public_signatures__letter__status__in=["open", "closed"],
        public_signatures__letter__signatories_public_while_open=True,
    )
)


def with_public_page(organisations: QuerySet[Organisation]) -> QuerySet[Organisation]:
    """Those of `organisations` whose page is public (see has_public_page): the one rule, for
    the page itself and for every list that links to or suggests organisations."""
    named = Organisation.objects.filter(_NAMED_PUBLICLY).values("pk")
    return organisations.filter(Q(is_verified=True) | Q(pk__in=named))


def has_public_page(organisation: Organisation) -> bool:
    """An organisation's page is public once a moderator verified it, or once it is named on a
    letter's public list. Until then — proposed through a sign form or a coordinator's CSV,
    perhaps counted only, perhaps public on a letter still under embargo — the page would tell
    anyone who guesses its name that Undersigned knows of it: only its members and moderators
    see it."""
    if organisation.is_verified:
        return True
    return with_public_page(Organisation.objects.filter(pk=organisation.pk)).exists()


def can_view_organisation_page(user: User | AnonymousUser, organisation: Organisation) -> bool:
    return has_public_page(organisation) or can_see_members(user, organisation)
