"""Demo data for `manage.py load_demo`: one user per role and the organisations of the seed
report's world (its named NGOs plus invented ones). Idempotent: running it twice changes
nothing the second time. Later issues add letters, invitations and signatures here."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from accounts.roles import COORDINATORS, MODERATORS
from accounts.services import set_account_language
from organisations import services as organisation_services
from organisations.models import EmailDomain, Membership, Organisation, same_name_q

from . import services as letter_services
from .models import Letter, LetterResponse, Signature

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
    language: str = ""  # the interface language saved on the account

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
    DemoUser(
        f"signer@{DEMO_DOMAIN}",
        "Tenzin Dolkar",
        "signer",
        organisation="Free Tibet",
        language="bo",
    ),
    DemoUser(
        f"signer2@{DEMO_DOMAIN}",
        "Aysha Turdi",
        "signer (second organisation)",
        organisation="Uyghur Diaspora Youth Network",
        language="ug",
    ),
    DemoUser(
        f"moderator@{DEMO_DOMAIN}",
        "Morgan Lee",
        "moderator",
        groups=(MODERATORS,),
        is_staff=True,
        language="zh-hant",
    ),
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
    # Names in the scripts of the people they work with: the list, the PDF and the search must
    # handle them (Chinese, Tibetan, Uyghur in Arabic script).
    ("香港人權監察", "", "Hong Kong", "hkhrm.example.org", False),
    ("བོད་ཀྱི་བུད་མེད་ཚོགས་པ།", "", "Tibet", "tibetanwomen.example.org", False),
    ("ئۇيغۇر ئاكادېمىيىسى", "", "East Turkestan", "uyghuracademy.example.org", False),
)


@dataclass
class DemoResult:
    users: list[tuple[DemoUser, User]]
    organisations: int
    letters: list[Letter]


SEED_LETTER_TITLE = "Raise human rights at the Beijing talks"
DEMO_CONTACT_EMAIL = "campaigns@undersigned-demo.example.org"
SEED_LETTER_SUMMARY = (
    "Organisations working on China, Hong Kong, Tibet and East Turkestan ask the Secretary of "
    "State to make human rights part of the coming talks in Beijing."
)
SEED_LETTER_BODY = """Dear Secretary of State,

We write as organisations that document and defend human rights in China, Hong Kong, Tibet and
East Turkestan, ahead of your visit to Beijing.

## Why this visit matters

Repression inside China reaches people far beyond its borders. Peaceful protesters, lawyers and
religious believers are detained; people in Tibetan and Uyghur regions are punished for speaking
to relatives abroad; activists in exile are harassed in the countries where they now live.

## What we ask

1. **Name the people.** Ask for the release of detained human rights defenders — among them
   scholars, lawyers, journalists and publishers — and say publicly afterwards which cases you
   raised, so that their families know.
2. **End the coercive boarding schools** in which Tibetan children are separated from their
   families, as United Nations experts have recommended.
3. **Work with other governments** to hold the authorities to account for abuses, including
   transnational repression against diaspora communities.

A visit at this level is a chance to show that human rights are not a side issue. We urge you
to use it.

Respectfully,

*The undersigned organisations*
"""

DRAFT_LETTER_TITLE = "Protect Hong Kong's exiled journalists"
PUBLISHED_LETTER_TITLE = "Stop transnational repression of Uyghur students"

# (organisation, signer, title, email local part, status, visibility, show name)
SEED_SIGNATURES = (
    ("Human Rights Watch", "Dana Hill", "China Director", "dana", "approved", "public", True),
    ("Freedom House", "Omar Reyes", "Advocacy Lead", "omar", "approved", "public", False),
    ("Amnesty International", "Ruth Lowe", "Campaigner", "ruth", "approved", "public", False),
    ("World Uyghur Congress", "Aziz Tursun", "Programme Officer", "aziz", "approved", "public", False),
    ("International Campaign for Tibet", "Karma Yeshe", "Policy Director", "karma", "approved", "public", True),
    ("Students for a Free Tibet", "Lhamo Tsering", "Organiser", "lhamo", "approved", "public", False),
    ("Pacific Rights Forum", "Jin Park", "Director", "jin", "approved", "public", False),
    ("Tibetan Women's Solidarity", "Dolma Wangmo", "Coordinator", "dolma", "approved", "recipient_only", False),
    ("Lantern Rights Collective", "Lan Xiaoyu", "", "contact", "approved", "counted_only", False),
    ("Mountain Voices Tibet", "Sonam Dorje", "Volunteer", "sonam", "pending_review", "public", False),
    ("Harbour Lights Legal Aid", "Ka-yan Wong", "Solicitor", "kayan", "pending_review", "public", False),
    ("Silk Road Rights Monitor", "Dilnur Ablet", "Researcher", "dilnur", "pending_confirmation", "public", False),
    ("Committee for Detained Lawyers", "Li Wen", "Secretary", "liwen", "rejected", "public", False),
    ("Hong Kong Press Freedom Watch", "Sam Cheung", "Editor", "sam", "withdrawn", "public", False),
    ("Families of the Disappeared Network", "Mei Lin", "Coordinator", "mei", "expired", "counted_only", False),
    ("香港人權監察", "Chan Wai", "Researcher", "wai", "approved", "public", False),
    ("བོད་ཀྱི་བུད་མེད་ཚོགས་པ།", "Pema Yangchen", "Secretary", "pema", "approved", "public", False),
    ("ئۇيغۇر ئاكادېمىيىسى", "Abdulla Tursun", "Member", "abdulla", "approved", "public", False),
    ("Canada-Tibet Friendship Society", "Lobsang Norbu", "Chair", "lobsang", "approved", "public", False),
    ("Free Expression Asia", "Mei-ling Wu", "Director", "meiling", "approved", "public", False),
    ("Berlin Uyghur Solidarity", "Aynur Kurban", "Coordinator", "aynur", "approved", "public", False),
)  # fmt: skip

EMBARGOED_LETTER_TITLE = "Free Hong Kong's jailed publishers"
# Approved signatures of the embargoed letter (closed, ready to publish): nobody outside sees
# them until the coordinator publishes. (organisation, signer, email local part, visibility)
EMBARGOED_SIGNATURES = (
    ("Hong Kong Democracy Council", "Anna Kwok", "anna", "public"),
    ("Hong Kong Press Freedom Watch", "Sam Cheung", "sam", "public"),
    ("Students for Hong Kong", "Joey Siu", "joey", "public"),
    ("Victoria Park Memory Project", "Lee Ka-ho", "kaho", "public"),
    ("Democracy for Hong Kong Alliance", "Nathan Lo", "nathan", "public"),
    ("Scholars at Risk China Desk", "Ruth Ma", "ruth", "public"),
    ("Free Expression Asia", "Mei-ling Wu", "meiling", "public"),
    ("Australia China Rights Network", "Kevin Yam", "kevin", "recipient_only"),
    ("Zero Covid Protest Legal Fund", "Chen Yiming", "contact", "counted_only"),
)

# Approved signatures of the published demo letter, frozen in its delivery record.
PUBLISHED_SIGNATURES = (
    ("World Uyghur Congress", "Aziz Tursun", "aziz", "public"),
    ("Uyghur Human Rights Initiative", "Rushan Abbas", "rushan", "public"),
    ("Berlin Uyghur Solidarity", "Aynur Kurban", "aynur", "public"),
    ("Campaign for Uyghur Families", "Jewher Ilham", "jewher", "public"),
    ("ئۇيغۇر ئاكادېمىيىسى", "Abdulla Tursun", "abdulla", "public"),
    ("Scholars at Risk China Desk", "Ruth Ma", "ruth", "public"),
    ("Amnesty International", "Ruth Lowe", "ruthl", "public"),
    ("East Turkestan Education Trust", "Gulnar Abdukerim", "contact", "counted_only"),
)


def _ensure_user(spec: DemoUser) -> User:
    user, created = User.objects.get_or_create(
        email=spec.email,
        defaults={"name": spec.name, "is_staff": spec.is_staff, "is_superuser": spec.is_superuser},
    )
    if (user.is_staff, user.is_superuser) != (spec.is_staff, spec.is_superuser):
        user.is_staff, user.is_superuser = spec.is_staff, spec.is_superuser
        user.save(update_fields=["is_staff", "is_superuser"])
    if spec.language and user.language != spec.language:
        set_account_language(user=user, language=spec.language)
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


def _withheld_only() -> set[str]:
    """The demo organisations that only ever sign recipient-only or counted-only: they exist
    only because of those signatures, so they are sealed (their names stored encrypted), as
    the signing path would make them (issue 12)."""
    rows = [(r[0], r[5]) for r in SEED_SIGNATURES]
    rows += [(r[0], r[3]) for r in (*EMBARGOED_SIGNATURES, *PUBLISHED_SIGNATURES)]
    rows += [(r[0], r[4]) for r in MODERATION_QUEUE]
    members = {user.organisation for user in DEMO_USERS if user.organisation}
    public = {name for name, visibility in rows if visibility == "public"}
    return {name for name, _visibility in rows} - public - members


def _ensure_organisation(
    name: str, acronym: str, based_in: str, domain: str, verified: bool, moderator: User
) -> Organisation:
    organisation = Organisation.objects.filter(same_name_q(name)).first()
    if organisation is None:
        organisation = organisation_services.create_organisation(
            name=name,
            sealed=not verified and name in _withheld_only(),
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


def load_demo() -> DemoResult:
    """Every step is a service with its own (durable) transaction, and every step first looks
    for what a previous run made: running it again completes or repeats nothing."""
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
    coordinator = next(user for spec, user in users if spec.role == "coordinator")
    letters = _ensure_letters(coordinator, moderator, organisations)
    _ensure_moderation_queue(letters[0], organisations, moderator)
    _ensure_coordinator_request(next(user for spec, user in users if spec.language == "ug"))
    return DemoResult(users=users, organisations=len(organisations), letters=letters)


def _ensure_coordinator_request(user: User) -> None:
    """One request to coordinate, waiting in the admin for the moderator."""
    if not user.coordinator_requests.exists():
        account_services.request_coordinator_role(
            user=user,
            organisation="Uyghur Diaspora Youth Network",
            purpose="A joint letter to European universities asking them to protect Uyghur "
            "students from surveillance and pressure on their families.",
        )


def _ensure_letters(
    coordinator: User, moderator: User, organisations: dict[str, Organisation]
) -> list[Letter]:
    existing = {letter.title: letter for letter in Letter.objects.all()}
    lead = [organisations["Human Rights Watch"], organisations["International Campaign for Tibet"]]

    seed = existing.get(SEED_LETTER_TITLE)
    if seed is None:
        seed = letter_services.create_letter(
            author=coordinator,
            title=SEED_LETTER_TITLE,
            body=SEED_LETTER_BODY,
            recipient="The US Secretary of State",
            summary=SEED_LETTER_SUMMARY,
            deadline=timezone.now() + timedelta(days=14),
            sign_on_mode=Letter.SignOnMode.OPEN,
            moderation_policy=Letter.ModerationPolicy.AUTO_VERIFIED,
            signatories_public_while_open=True,
            lead_organisations=lead,
        )
        letter_services.open_letter(letter=seed, actor=coordinator)
        _demo_signatures(seed, organisations, moderator)

    draft = existing.get(DRAFT_LETTER_TITLE)
    if draft is None:
        draft = letter_services.create_letter(
            author=coordinator,
            title=DRAFT_LETTER_TITLE,
            body="Journalists who left Hong Kong are still followed, *named* and threatened.\n\n"
            "We ask host governments to …",
            recipient="Ministers of the Interior of the G7",
            summary="Asks the G7 to protect journalists from Hong Kong who work in exile.",
        )
        # Held: a draft's invitation is emailed when the letter opens, not before.
        letter_services.invite(
            letter=draft,
            actor=coordinator,
            email="desk@hkpressfreedom.example.org",
            organisation_name="Hong Kong Press Freedom Watch",
            contact_name="Sam Cheung",
        )

    published = existing.get(PUBLISHED_LETTER_TITLE)
    if published is None:
        published = letter_services.create_letter(
            author=coordinator,
            title=PUBLISHED_LETTER_TITLE,
            body="Uyghur students abroad report that their families at home are questioned "
            "about them.\n\nWe ask universities and governments to protect them.",
            recipient="Vice-Chancellors of UK universities",
            summary="Asks universities to protect Uyghur students from surveillance and pressure.",
            sign_on_mode=Letter.SignOnMode.OPEN,
            moderation_policy=Letter.ModerationPolicy.AUTO_VERIFIED,
        )
        letter_services.open_letter(letter=published, actor=coordinator)
        _approved_signatures(published, organisations, moderator, PUBLISHED_SIGNATURES)
        letter_services.close_letter(letter=published, actor=coordinator)
        letter_services.publish_letter(
            letter=published,
            actor=coordinator,
            delivered_on=timezone.localdate() - timedelta(days=2),
            delivered_to="Universities UK, for the Vice-Chancellors",
            method="by email, and by hand at its London office",
        )
        # Its recipient answered (issue 17): shown on its page; the demo emails nobody.
        letter_services.record_response(
            letter=published,
            actor=coordinator,
            kind=LetterResponse.Kind.RESPONSE,
            received_on=timezone.localdate() - timedelta(days=1),
            from_whom="Universities UK, office of the Chief Executive",
            text="Thank you for your letter. We have shared it with our members' international "
            "offices and will ask each university to name a contact for students who report "
            "harassment or surveillance.\n\nWe would welcome a meeting with the signatories "
            "in the new year.",
        )

    embargoed = existing.get(EMBARGOED_LETTER_TITLE)
    if embargoed is None:
        embargoed = letter_services.create_letter(
            author=coordinator,
            title=EMBARGOED_LETTER_TITLE,
            body="Publishers and booksellers from Hong Kong are serving long sentences for "
            "what they printed.\n\nWe ask you to raise their cases by name.",
            recipient="The Foreign Secretary",
            summary="Asks the Foreign Secretary to press for the release of Hong Kong's jailed publishers.",
            sign_on_mode=Letter.SignOnMode.OPEN,
            moderation_policy=Letter.ModerationPolicy.AUTO_VERIFIED,
            signatories_public_while_open=False,
            lead_organisations=[organisations["Hong Kong Democracy Council"]],
        )
        letter_services.open_letter(letter=embargoed, actor=coordinator)
        _approved_signatures(embargoed, organisations, moderator, EMBARGOED_SIGNATURES)
        letter_services.close_letter(letter=embargoed, actor=coordinator)
    if not seed.translations.exists():
        _demo_translations(seed, coordinator)
    if not seed.invitations.exists():
        _demo_invitations(seed, organisations, coordinator)
    # Re-read: the services returned each letter as it was when created (a draft).
    # A role address of the lead organisations, never a person's: the letters' public contact.
    Letter.objects.filter(
        pk__in=[seed.pk, draft.pk, published.pk, embargoed.pk], public_contact_email=""
    ).update(public_contact_email=DEMO_CONTACT_EMAIL)
    return [Letter.objects.get(pk=letter.pk) for letter in (seed, draft, published, embargoed)]


def _approved_signatures(
    letter: Letter,
    organisations: dict[str, Organisation],
    moderator: User,
    rows: tuple[tuple[str, str, str, str], ...],
) -> None:
    for name, signer, local, visibility in rows:
        organisation = organisations[name]
        domain = organisation.website.split("//", 1)[-1].strip("/")
        signature = letter_services.sign_letter(
            letter=letter,
            organisation=letter_services.OrganisationChoice(organisation=organisation),
            signer_name=signer,
            signer_email=f"{local}@{domain}",
            visibility=visibility,
            consent=True,
        )
        signature = letter_services.confirm_signature(signature=signature)
        if signature.status == Signature.Status.PENDING_REVIEW:
            letter_services.approve_signature(signature=signature, moderator=moderator)


def _demo_signatures(
    letter: Letter, organisations: dict[str, Organisation], moderator: User
) -> None:
    """Signatures in every state, made the way real ones are: through the services."""
    for name, signer, title, local, status, visibility, show in SEED_SIGNATURES:
        organisation = organisations[name]
        domain = organisation.website.split("//", 1)[-1].strip("/")
        signature = letter_services.sign_letter(
            letter=letter,
            organisation=letter_services.OrganisationChoice(organisation=organisation),
            signer_name=signer,
            signer_title=title,
            signer_email=f"{local}@{domain}",
            visibility=visibility,
            show_signer_name=show,
            consent=True,
        )
        if status == "pending_confirmation":
            continue
        if status == "expired":
            Signature.objects.filter(pk=signature.pk).update(
                created_at=timezone.now() - timedelta(days=60)
            )
            letter_services.expire_unconfirmed_signatures()
            continue
        signature = letter_services.confirm_signature(signature=signature)
        if status == "withdrawn":
            letter_services.withdraw_signature(signature=signature)
        elif status == "approved" and signature.status == "pending_review":
            letter_services.approve_signature(signature=signature, moderator=moderator)
        elif status == "rejected":
            letter_services.reject_signature(
                signature=signature,
                moderator=moderator,
                reason=Signature.RejectionReason.CANNOT_VERIFY_AUTHORITY,
                note="The address is a personal one and the organisation is unknown to us.",
            )


# The moderator's queue on the seed letter: with its two pending signatures above, a dozen
# awaiting review. (organisation, where a new one is based — None for a registered one —,
# signer, email, visibility, hours waiting, an email domain it lists, unverified). Among them a likely duplicate of Human
# Rights Watch — which already signed — writing from HRW's own verified domain, and an
# unverified newcomer.
MODERATION_QUEUE = (
    ("Human-Rights Watch Intl", "USA", "Jordan Smith", "jordan.smith@hrw.org", "public", 30, ""),
    ("Tibetan Youth Collective Zürich", "Switzerland", "Tashi Gyaltsen", "info@tyc-zurich.example.ch", "public", 26, ""),
    ("Tibet Action Institute", None, "Tenzin Norbu", "tenzin.norbu@gmail.com", "public", 20, ""),
    ("Students for Hong Kong", None, "Joey Siu", "joey@studentsforhk.org", "public", 18, "studentsforhk.org"),
    ("Hong Kong Democracy Council", None, "Anna Kwok", "anna@hkdc.example.org", "public", 12, "hkdc.example.org"),
    ("Campaign for Uyghur Families", None, "Rushan Abbas", "rushan@cuf.example.org", "public", 9, ""),
    ("Victoria Park Memory Project", None, "Wong Siu-ling", "contact@vpmp.example.org", "counted_only", 7, ""),
    ("Boarding School Watch", None, "Gyal Lo", "gyal@bsw.example.org", "public", 5, ""),
    ("East Turkestan Education Trust", None, "Mehmet Tohti", "mehmet@etet.example.org", "recipient_only", 3, ""),
    ("Tibet Justice Lawyers", None, "Lhadon Tethong", "lhadon@tjl.example.org", "public", 1, ""),
)  # fmt: skip


def _ensure_moderation_queue(
    letter: Letter, organisations: dict[str, Organisation], moderator: User
) -> None:
    """Signatures awaiting review, made through the services. A row already loaded (its
    organisation exists and has signed, or was merged away by a moderator) is left alone."""

    now = timezone.now()
    for name, based_in, signer, email, visibility, hours, listed_domain in MODERATION_QUEUE:
        if based_in is not None:
            if Organisation.objects.filter(same_name_q(name)).exists():
                continue
            choice = letter_services.OrganisationChoice(new_name=name, based_in=based_in)
        else:
            organisation = organisations[name]
            if Signature.objects.on_letter_of(
                letter_id=letter.pk, organisation=organisation
            ).exists():
                continue
            if (
                listed_domain
                and not organisation.email_domains.filter(domain=listed_domain).exists()
            ):
                organisation_services.add_email_domain(
                    organisation=organisation, domain=listed_domain, actor=moderator
                )
            choice = letter_services.OrganisationChoice(organisation=organisation)
        signature = letter_services.sign_letter(
            letter=letter,
            organisation=choice,
            signer_name=signer,
            signer_email=email,
            visibility=visibility,
            consent=True,
        )
        letter_services.confirm_signature(signature=signature)
        # Spread over the last day and a half, so that "oldest first" shows.
        confirmed_at = now - timedelta(hours=hours)
        Signature.objects.filter(pk=signature.pk).update(
            created_at=confirmed_at - timedelta(minutes=10),
            consented_at=confirmed_at - timedelta(minutes=10),
            confirmed_at=confirmed_at,
        )


# The seed letter's translations (letters/demo_texts/seed.<locale>.md: "title: …", "summary:
# …", "---", then the Markdown body), each of the letter's current version; the English text
# stays the authoritative one.
DEMO_TEXTS = Path(__file__).resolve().parent / "demo_texts"
DEMO_TRANSLATIONS = {"zh-hans": "zh_Hans", "zh-hant": "zh_Hant", "bo": "bo", "ug": "ug"}


def read_demo_translation(language: str) -> tuple[str, str, str]:
    """(title, summary, body) of the seed letter's translation into `language`."""
    text = (DEMO_TEXTS / f"seed.{DEMO_TRANSLATIONS[language]}.md").read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    fields = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    return fields["title"].strip(), fields.get("summary", "").strip(), body.strip("\n")


def _demo_translations(letter: Letter, coordinator: User) -> None:
    for language in DEMO_TRANSLATIONS:
        title, summary, body = read_demo_translation(language)
        letter_services.save_translation(
            letter=letter,
            actor=coordinator,
            language=language,
            title=title,
            summary=summary,
            body=body,
        )


# Invitations on the seed letter, one per state and one in each language: (organisation,
# contact, email local part, state, language of the invitation)
SEED_INVITATIONS = (
    ("Chinese Human Rights Defenders", "Mei Chen", "mei.chen", "sent", "zh-hans"),
    ("Human Rights in China", "Jun Li", "jun.li", "reminded", "zh-hans"),
    ("Coalition Against Transnational Repression", "Nadia Hassan", "nadia", "accepted", "en"),
    ("Hui Muslim Heritage Society", "Yusuf Ma", "yusuf", "declined", "zh-hans"),
    ("Canada-Tibet Friendship Society", "Karma Dolkar", "karma", "failed", "en"),
    ("Religious Freedom Advocates", "Sam Okafor", "sam.okafor", "revoked", "en"),
    ("Scholars at Risk China Desk", "Helen Zhou", "helen", "forwarded", "en"),
    ("Democracy for Hong Kong Alliance", "Ka-ming Lee", "kaming", "expired", "zh-hant"),
    ("Australia China Rights Network", "Priya Nair", "priya", "queued", "en"),
    ("London China Human Rights Roundtable", "Wing Chan", "wing", "sent", "zh-hant"),
    ("Tibetan Youth Congress Europe", "Tsering Wangmo", "tsering", "sent", "bo"),
    ("Lhasa Memory Archive", "Pema Yangchen", "pema", "sent", "bo"),
    ("International Tibet Network", "Dilnur Abdulla", "dilnur", "sent", "ug"),
)


def _demo_invitations(
    letter: Letter, organisations: dict[str, Organisation], coordinator: User
) -> None:
    """Invitations in every state, through the services where a service makes that state.
    Delivery itself happens after load_demo commits (at once in the embedded default), so the
    states that depend on it are set on the outbox row, as the worker would."""
    from outbox.models import OutboundEmail

    from .models import Invitation

    now = timezone.now()
    retrying = None
    for name, contact, local, state, language in SEED_INVITATIONS:
        organisation = organisations[name]
        domain = organisation.website.split("//", 1)[-1].strip("/")
        invitation = letter_services.invite(
            letter=letter,
            actor=coordinator,
            email=f"{local}@{domain}",
            organisation=organisation,
            contact_name=contact,
            language=language,
        )
        if state == "accepted":
            letter_services.sign_letter(
                letter=letter,
                organisation=letter_services.OrganisationChoice(),
                signer_name=contact,
                signer_email=invitation.email,
                consent=True,
                invitation=invitation,
            )
        elif state == "declined":
            letter_services.decline_invitation(
                invitation=invitation,
                reason="Our board has decided not to sign joint letters until after our elections.",
            )
        elif state == "revoked":
            letter_services.revoke_invitation(invitation=invitation, actor=coordinator)
        elif state == "forwarded":
            letter_services.forward_invitation(
                invitation=invitation, contact_name="Wei Liu", email=f"wei.liu@{domain}"
            )
        elif state == "failed":
            error = (
                f"SMTPRecipientsRefused: {{'{invitation.email}': (550, b'5.1.1 The email "
                "account that you tried to reach does not exist')}"
            )
            OutboundEmail.objects.filter(pk=invitation.outbound_email_id).update(
                status=OutboundEmail.Status.FAILED, attempts=1, last_error=error
            )
            letter_services.follow_email_status(
                email_id=invitation.outbound_email_id, status="failed", error=error
            )
        elif state == "reminded":
            # The reminder task sends only inside the window before the deadline.
            Invitation.objects.filter(pk=invitation.pk).update(
                reminded_at=now - timedelta(hours=20), reminder_count=1
            )
        elif state == "expired":
            # Links expire when a letter is published; shown here on the open letter.
            Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.EXPIRED)
        elif state == "queued":
            retrying = invitation

    if retrying is not None:
        email_id = retrying.outbound_email_id

        def still_retrying() -> None:
            # After the delivery that follows the commit: this one's server keeps saying
            # "try later", so it stays queued, as the tracking page shows.
            OutboundEmail.objects.filter(pk=email_id).update(
                status=OutboundEmail.Status.QUEUED,
                sent_at=None,
                attempts=2,
                last_error="SMTPResponseException: (451, b'4.7.1 Greylisted, try again later')",
                next_attempt_at=timezone.now() + timedelta(minutes=30),
            )
            Invitation.objects.filter(pk=retrying.pk).update(
                status=Invitation.Status.QUEUED, sent_at=None
            )

        transaction.on_commit(still_retrying)
