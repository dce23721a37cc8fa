from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from letters.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent): one user per role, organisations, letters."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="load even with DEBUG off (never on a real site: the demo passwords are public)",
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("load_demo creates users with public passwords: DEBUG=1 only.")
        # The demo's own emails (confirmations, approvals of its made-up signers) are kept in
        # the outbox as sent, not printed: the console is for the emails of whoever tries it.
        with override_settings(
            MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
        ):
            result = load_demo()
        width = max(len(spec.email) for spec, _ in result.users)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"{result.organisations} organisations.")
        for letter in result.letters:
            self.stdout.write(
                f"Letter ({letter.get_status_display()}): {settings.SITE_URL}{letter.get_absolute_url()}"
            )
        self.stdout.write("")
        self.stdout.write(f"Log in at {settings.SITE_URL}/accounts/login/ as:")
        for spec, _user in result.users:
            extra = "  (2FA: python manage.py demo_code EMAIL)" if spec.needs_2fa else ""
            language = f", reads {spec.language}" if spec.language else ""
            self.stdout.write(f"  {spec.email:<{width}}  {spec.role}{language}{extra}")
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
        self.stdout.write(
            "The two-factor code of a staff user: "
            ".venv/bin/python manage.py demo_code moderator@demo.undersigned.test"
        )
