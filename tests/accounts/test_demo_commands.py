"""The demo commands: load_demo is idempotent and enrols staff in 2FA; demo_code prints a
valid code and refuses without DEBUG (it reveals a second factor)."""

import re
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps
from django.core.management import CommandError, call_command

from accounts.models import User
from letters.demo import DEMO_ORGANISATIONS, DEMO_USERS, MODERATION_QUEUE
from organisations.models import Organisation
from tests.factories import UserFactory, enrol_totp


def row_counts() -> dict[str, int]:
    """Rows in every table of the project, so new demo data is covered without edits here."""
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_load_demo_twice_changes_nothing_the_second_time(settings):
    # Given the demo loaded once
    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())
    first = row_counts()

    # When it is loaded again
    call_command("load_demo", stdout=StringIO())

    # Then every table holds the same number of rows
    assert row_counts() == first
    assert User.objects.count() == len(DEMO_USERS)
    # plus the organisations proposed through the sign form in the moderator's queue
    proposed = [row for row in MODERATION_QUEUE if row[1] is not None]
    assert Organisation.objects.count() == len(DEMO_ORGANISATIONS) + len(proposed)


@pytest.mark.django_db
def test_load_demo_enrols_exactly_the_staff_demo_users_in_2fa(settings):
    settings.DEBUG = True

    call_command("load_demo", stdout=StringIO())

    with_totp = set(
        Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list(
            "user__email", flat=True
        )
    )
    assert with_totp == {spec.email for spec in DEMO_USERS if spec.needs_2fa}
    assert with_totp >= {
        "coordinator@demo.undersigned.test",
        "moderator@demo.undersigned.test",
        "admin@demo.undersigned.test",
    }


@pytest.mark.django_db
def test_load_demo_refuses_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG=1 only"):
        call_command("load_demo", stdout=StringIO())

    assert User.objects.count() == 0


@pytest.mark.django_db
def test_demo_code_prints_a_code_that_logs_the_user_in(settings):
    # Given a demo user with an authenticator app
    settings.DEBUG = True
    settings.MFA_TOTP_TOLERANCE = 1  # the code may be checked just after its period ends
    user = UserFactory(email="moderator@demo.undersigned.test")
    enrol_totp(user)
    out, err = StringIO(), StringIO()

    # When the command runs
    call_command("demo_code", user.email, stdout=out, stderr=err)

    # Then it prints six digits, which allauth accepts for that user
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    assert out.getvalue() == f"{code}\n"
    assert re.fullmatch(r"\(valid for about \d+ more seconds\)\n", err.getvalue())
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert TOTP(authenticator).validate_code(code) is True


@pytest.mark.django_db
def test_demo_code_refuses_without_debug(settings):
    # Given a user with an authenticator, on a site without DEBUG
    settings.DEBUG = False
    user = UserFactory(email="moderator@demo.undersigned.test")
    enrol_totp(user)
    out = StringIO()

    # When the command runs, then it refuses and prints no code
    with pytest.raises(CommandError, match="demo_code only runs with DEBUG=1"):
        call_command("demo_code", user.email, stdout=out)
    assert out.getvalue() == ""


@pytest.mark.django_db
def test_demo_code_explains_a_user_without_an_authenticator(settings):
    settings.DEBUG = True
    user = UserFactory(email="signer@demo.undersigned.test")

    with pytest.raises(CommandError, match="has no authenticator app set up"):
        call_command("demo_code", user.email, stdout=StringIO())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_load_demo_keeps_its_own_emails_off_the_console(settings, capsys):
    from outbox.models import OutboundEmail

    settings.DEBUG = True
    settings.MAILERS = {"default": {"BACKEND": "outbox.backends.ReadableConsoleBackend"}}
    out = StringIO()

    call_command("load_demo", stdout=out)

    assert "Subject:" not in capsys.readouterr().out
    assert "Password for every demo user" in out.getvalue()
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() > 0


@pytest.mark.django_db
def test_the_demo_draft_has_a_held_invitation(settings):
    from letters import services
    from letters.demo import DRAFT_LETTER_TITLE
    from letters.models import Letter

    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())

    draft = Letter.objects.get(title=DRAFT_LETTER_TITLE)
    assert draft.status == Letter.Status.DRAFT
    [held] = services.held_invitations(draft)
    assert held.organisation_name == "Hong Kong Press Freedom Watch"


@pytest.mark.django_db
def test_no_demo_email_greets_a_placeholder(settings):
    # "Hello (withheld)," was a signer named by a placeholder: a withheld organisation's
    # signer still has a name, which only the organisation's own emails use
    from letters.models import Signature
    from outbox.models import OutboundEmail

    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())

    assert not [s for s in Signature.objects.all() if "withheld" in s.signer_name.lower()]
    greetings = [e.body_text.splitlines()[0] for e in OutboundEmail.objects.all() if e.body_text]
    assert greetings
    assert [g for g in greetings if "(" in g] == []
