"""Demo data for `manage.py load_demo`: one user per role and the organisations of the seed
report's world (its named NGOs plus invented ones). Idempotent: running it twice changes
nothing the second time. Later issues add letters, invitations and signatures here."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import User
from accounts.roles import COORDINATORS, MODERATORS
from organisations import services as organisation_services
from organisations.models import EmailDomain, Membership, Organisation

DEMO_PASSWORD = "undersigned-demo"  # noqa: S105 - printed on purpose; DEBUG-only demo data
DEMO_DOMAIN = "demo.undersigned.test"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str
    groups: tuple[str, ...] = ()
    is_staff: bool = False
    is_superuser: bool = False
    organisation: str | None = None

    @property
    def needs_2fa(self) -> bool:
        return bool(self.groups or self.is_staff or self.is_superuser)


DEMO_USERS = (
    DemoUser(
        f"coordinator@{DEMO_DOMAIN}",
        "Camila Ortiz",
        "coordinator",
        groups=(COORDINATORS,),
        organisation="Human Rights Watch",
    ),
    DemoUser(f"signer@{DEMO_DOMAIN}", "Tenzin Dolkar", "signer", organisation="Free Tibet"),
    DemoUser(
        f"signer2@{DEMO_DOMAIN}",
        "Aysha Turdi",
        "signer (second organisation)",
        organisation="Uyghur Diaspora Youth Network",
    ),
    DemoUser(f"moderator@{DEMO_DOMAIN}", "Morgan Lee", "moderator", groups=(MODERATORS,)),
    DemoUser(f"admin@{DEMO_DOMAIN}", "Site Admin", "superuser", is_staff=True, is_superuser=True),
)

# (name, acronym, based_in, website domain, verified)
DEMO_ORGANISATIONS = (
    ("Human Rights Watch", "HRW", "USA", "hrw.org", True),
    ("Freedom House", "", "USA", "freedomhouse.org", True),
    ("Amnesty International", "", "UK", "amnesty.org", True),
    ("World Uyghur Congress", "WUC", "East Turkestan", "uyghurcongress.org", True),
    ("Chinese Human Rights Defenders", "CHRD", "China", "nchrd.org", True),
    ("Human Rights in China", "HRIC", "USA", "hrichina.org", True),
    ("International Campaign for Tibet", "ICT", "Tibet", "savetibet.org", True),
    ("International Tibet Network", "", "Tibet", "tibetnetwork.org", True),
    ("Students for a Free Tibet", "SFT", "Tibet", "studentsforafreetibet.org", True),
    ("Tibet Action Institute", "", "Tibet", "tibetaction.net", True),
    ("Free Tibet", "", "UK", "freetibet.org", True),
    ("Students for Hong Kong", "", "Hong Kong", "studentsforhk.org", False),
    ("Hong Kong Democracy Council", "HKDC", "Hong Kong", "hkdc.example.org", False),
    ("Uyghur Diaspora Youth Network", "", "East Turkestan", "udyn.example.org", False),
    ("Tibetan Women's Solidarity", "", "Tibet", "tws.example.org", False),
    ("Harbour Lights Legal Aid", "", "Hong Kong", "harbourlights.example.org", False),
    ("Campaign for Uyghur Families", "", "East Turkestan", "cuf.example.org", False),
    ("Mountain Voices Tibet", "", "Tibet", "mountainvoices.example.org", False),
    ("Lantern Rights Collective", "", "China", "lantern.example.org", False),
    ("Silk Road Rights Monitor", "", "East Turkestan", "srrm.example.org", False),
    ("Pacific Rights Forum", "", "USA", "pacificrights.example.org", True),
    ("London China Human Rights Roundtable", "", "UK", "lchrr.example.org", False),
    ("Committee for Detained Lawyers", "", "China", "cdl.example.org", False),
    ("Victoria Park Memory Project", "", "Hong Kong", "vpmp.example.org", False),
    ("Tibetan Youth Congress Europe", "", "Tibet", "tyce.example.org", False),
    ("Coalition Against Transnational Repression", "CATR", "USA", "catr.example.org", True),
    ("Boarding School Watch", "", "Tibet", "bsw.example.org", False),
    ("East Turkestan Education Trust", "", "East Turkestan", "etet.example.org", False),
    ("Hong Kong Press Freedom Watch", "", "Hong Kong", "hkpfw.example.org", False),
    ("Families of the Disappeared Network", "", "China", "fdn.example.org", False),
    ("Religious Freedom Advocates", "", "USA", "rfa-advocates.example.org", False),
    ("Scholars at Risk China Desk", "", "UK", "sarcd.example.org", False),
    ("Hui Muslim Heritage Society", "", "China", "hmhs.example.org", False),
    ("Canada-Tibet Friendship Society", "", "Canada", "ctfs.example.org", False),
    ("Uyghur Human Rights Initiative", "UHRI", "USA", "uhri.example.org", True),
    ("Democracy for Hong Kong Alliance", "", "UK", "dhka.example.org", False),
    ("Tibet Justice Lawyers", "", "Tibet", "tjl.example.org", False),
    ("Australia China Rights Network", "", "Australia", "acrn.example.org", False),
    ("Zero Covid Protest Legal Fund", "", "China", "zcplf.example.org", False),
    ("Free Expression Asia", "", "Taiwan", "feasia.example.org", False),
    ("Berlin Uyghur Solidarity", "", "Germany", "bus.example.org", False),
    ("Lhasa Memory Archive", "", "Tibet", "lma.example.org", False),
)


@dataclass
class DemoResult:
    users: list[tuple[DemoUser, User]]
    organisations: int


def _ensure_user(spec: DemoUser) -> User:
    user, created = User.objects.get_or_create(
        email=spec.email,
        defaults={"name": spec.name, "is_staff": spec.is_staff, "is_superuser": spec.is_superuser},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=spec.email, defaults={"verified": True, "primary": True}
    )
    for group in spec.groups:
        user.groups.add(Group.objects.get(name=group))
    if spec.needs_2fa and not Authenticator.objects.filter(user=user).exists():
        # Staff must use 2FA; the demo enrols them so `manage.py demo_code EMAIL` can log in.
        TOTP.activate(user, generate_totp_secret())
        RecoveryCodes.activate(user)
    return user


def _ensure_organisation(
    name: str, acronym: str, based_in: str, domain: str, verified: bool, moderator: User
) -> Organisation:
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is None:
        organisation = organisation_services.create_organisation(
            name=name,
            created_by=None,
            acronym=acronym,
            based_in=based_in,
            website=f"https://{domain}/",
            description=f"{name} works on human rights in {based_in}.",
        )
    if verified:
        organisation_services.verify_organisation(organisation=organisation, moderator=moderator)
        email_domain, _ = EmailDomain.objects.get_or_create(
            organisation=organisation, domain=domain
        )
        organisation_services.set_email_domain_verified(
            email_domain=email_domain, moderator=moderator
        )
    return organisation


@transaction.atomic
def load_demo() -> DemoResult:
    users = [(spec, _ensure_user(spec)) for spec in DEMO_USERS]
    moderator = next(user for spec, user in users if spec.role == "moderator")
    organisations = {
        row[0]: _ensure_organisation(*row, moderator=moderator) for row in DEMO_ORGANISATIONS
    }
    for spec, user in users:
        if spec.organisation:
            Membership.objects.get_or_create(
                organisation=organisations[spec.organisation],
                user=user,
                defaults={"role": Membership.Role.ADMIN},
            )
    return DemoResult(users=users, organisations=len(organisations))
