from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not (extra_fields["is_staff"] and extra_fields["is_superuser"]):
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A person with an account. The email address is the login; there is no username."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    # The interface language chosen with the switcher: pages after login and the account's
    # emails are in it. Empty: the browser's preference, emails in English.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email.split("@")[0]


class CoordinatorRequest(models.Model):
    """Someone with an account asks to coordinate letters; a moderator grants it in the admin
    (accounts.services). A coordinator's invitations are emails sent in the site's name, so
    the role is granted by a person, never taken. Decided requests are deleted after
    COORDINATOR_REQUEST_RETENTION_DAYS; the audit trail keeps who decided what, and when."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a moderator")
        GRANTED = "granted", _("Granted")
        DECLINED = "declined", _("Declined")

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="coordinator_requests",
        verbose_name=_("account"),
    )
    # Encrypted at rest: who plans which letter is what a copy of the database must not tell
    # (core.fields; the form keeps the lengths).
    organisation = EncryptedTextField(_("organisation"))
    purpose = EncryptedTextField(_("the letter you want to coordinate"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("request to coordinate")
        verbose_name_plural = _("requests to coordinate")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="accounts_one_pending_coordinator_request",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "granted", "declined"]),
                name="accounts_coordinator_request_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.organisation})"
