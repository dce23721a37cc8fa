from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo user (DEBUG only; for trying the demo)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "email", help="the demo user's email, e.g. moderator@demo.undersigned.test"
        )

    def handle(self, *args, email: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_code only runs with DEBUG=1: it reveals a second factor.")
        try:
            user = User.objects.get(email__iexact=email)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user with the email {email}.") from exc
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is None:
            raise CommandError(f"{email} has no authenticator app set up.")
        secret = decrypt(totp.data["secret"])
        period = mfa_settings.TOTP_PERIOD
        counter = int(timezone.now().timestamp()) // period
        remaining = period - int(timezone.now().timestamp()) % period
        self.stdout.write(format_hotp_value(hotp_value(secret, counter)))
        self.stderr.write(f"(valid for about {remaining} more seconds)")
