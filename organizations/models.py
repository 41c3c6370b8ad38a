import hashlib
import hmac
import secrets
import uuid
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from organizations.permissions import (
    API_KEY_CAPABILITIES,
    ApiKeyScope,
    Role,
    capabilities_for_role,
)
from organizations.tenancy import TenantModel
from organizations.validation import MAX_CURRENCY_PLACES as MAX_CURRENCY_PLACES  # billing.models reads it here
from organizations.validation import currency_problem


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError("“%(value)s” is not a known time zone.", params={"value": value})


def validate_currency_code(value):
    problem = currency_problem(value)
    if problem:
        raise ValidationError(problem)


currency_code_validators = [RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code."), validate_currency_code]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Organization(models.Model):
    """The tenant. Not scoped itself: access to it goes through Membership."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    default_currency = models.CharField(max_length=3, default="EUR", validators=currency_code_validators)
    require_two_factor = models.BooleanField(
        default=False,
        help_text="Members must set up two-factor authentication before they can open any of its pages.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def tzinfo(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_today(self):
        """Today in the organization's time zone (overdue and payment dates use it)."""
        return timezone.now().astimezone(self.tzinfo).date()


class Membership(TenantModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user_per_org")]
        indexes = [models.Index(fields=["organization", "role"])]
        ordering = ["joined_at"]

    def __str__(self):
        return f"{self.user} ({self.role})"

    @property
    def capabilities(self):
        return capabilities_for_role(self.role)


INVITE_LIFETIME = timedelta(days=7)


class Invite(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    # Only the hash of the emailed token is stored: a database leak does not leak invites.
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "email"])]
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invite for {self.email}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        raw = secrets.token_urlsafe(32)
        return raw, hash_token(raw)

    @property
    def status(self) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


API_KEY_PREFIX_LENGTH = 8


class ApiKey(TenantModel):
    name = models.CharField(max_length=100)
    # The prefix is shown in lists and finds the row; only a hash of the whole key is kept.
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scope = models.CharField(max_length=10, choices=ApiKeyScope.choices, default=ApiKeyScope.READ_WRITE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "created_at"])]
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """Return (raw key, prefix, hash). The raw key is shown once and never stored."""
        prefix = secrets.token_hex(API_KEY_PREFIX_LENGTH // 2)
        raw = f"bil_{prefix}_{secrets.token_urlsafe(32)}"
        return raw, prefix, hash_token(raw)

    @staticmethod
    def prefix_of(raw: str) -> str | None:
        parts = raw.split("_", 2)
        if len(parts) != 3 or parts[0] != "bil" or len(parts[1]) != API_KEY_PREFIX_LENGTH:
            return None
        return parts[1]

    def matches(self, raw: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_token(raw))

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def capabilities(self):
        return API_KEY_CAPABILITIES.get(self.scope, frozenset())

    @property
    def label(self) -> str:
        return f"API key {self.name} ({self.prefix})"


class IdempotencyKey(TenantModel):
    """A POST's ``Idempotency-Key``, per API key, kept 24 hours (purged by a beat task).

    The unique constraint makes concurrent duplicates safe: the second insert fails and the
    request sees the first one ``in_flight`` (409) or ``completed`` (replayed)."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        COMPLETED = "completed", "Completed"

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The response exactly as first sent: a replay sends these bytes again (a JSON column
    # would hand back the same content with its keys in another order).
    response_content = models.BinaryField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_unique_per_api_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self):
        return f"{self.key} ({self.state})"
