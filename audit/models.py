from django.conf import settings
from django.db import models
from django.utils import timezone

from organizations.tenancy import TenantManager, TenantModel


class ActorType(models.TextChoices):
    USER = "user", "User"
    API_KEY = "api_key", "API key"
    SYSTEM = "system", "System"


class AppendOnlyError(Exception):
    """Audit entries are history: the application never updates or deletes them."""


class AuditEntryQuerySet(models.QuerySet):
    """Bulk writes would bypass the chain (``audit.services.record`` is the only way in) and
    bulk updates or deletes would rewrite history: all refused."""

    def update(self, **kwargs):
        raise AppendOnlyError("Audit entries cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit entries cannot be deleted.")

    def bulk_create(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries are appended one by one through audit.services.record().")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries cannot be changed.")

    def update_or_create(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries cannot be changed.")


class AuditEntry(TenantModel):
    """One state change, hash-chained per organization (see ``audit.services``).

    Append-only: ``save()`` of an existing entry, ``delete()`` and the queryset's bulk
    writes raise ``AppendOnlyError``; on PostgreSQL a trigger also rejects UPDATE and DELETE
    (migration 0002), so an organization with entries cannot be hard-deleted either.
    """

    updated_at = None  # entries never change
    created_at = models.DateTimeField(default=timezone.now)  # part of the hash: set before insert
    sequence = models.PositiveBigIntegerField(help_text="Position in the organization's chain, from 1.")
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    # Who acted is history: the ids stay as they were even after the user or key is deleted
    # (no database constraint, no SET NULL), because they are part of the entry's hash and
    # the table refuses UPDATEs. Read ``actor_label`` for display; the FK may dangle.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_api_key = models.ForeignKey(
        "organizations.ApiKey",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept even after the user or key is deleted, so the entry still reads.
    actor_label = models.CharField(max_length=300)
    support_access = models.BooleanField(default=False, help_text="Done by support staff through the admin.")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = TenantManager(AuditEntryQuerySet)

    class Meta:
        ordering = ["-sequence"]
        verbose_name_plural = "audit entries"
        constraints = [
            models.UniqueConstraint(fields=["organization", "sequence"], name="audit_entry_unique_sequence"),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="audit_org_created"),
            models.Index(fields=["organization", "action"], name="audit_org_action"),
            models.Index(fields=["organization", "target_type", "target_id"], name="audit_org_target"),
        ]

    def __str__(self):
        return f"{self.action} by {self.actor_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries cannot be deleted.")


class AuditChainHead(models.Model):
    """The last link of an organization's chain; its row lock serialises appends."""

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    length = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self):
        return f"chain of {self.organization_id}: {self.length} entries"


class SecurityEvent(models.Model):
    """Sign-in and credential events of a person (login, failed login, password and email
    changes). They belong to no organization, so they live here rather than in the
    organizations' hash-chained log, and are not tenant-scoped."""

    class Event(models.TextChoices):
        LOGIN_SUCCEEDED = "login.succeeded", "Logged in"
        LOGIN_FAILED = "login.failed", "Login failed"
        LOGGED_OUT = "logout", "Logged out"
        PASSWORD_CHANGED = "password.changed", "Password changed"
        PASSWORD_SET = "password.set", "Password set"
        PASSWORD_RESET = "password.reset", "Password reset"
        EMAIL_CHANGED = "email.changed", "Primary email changed"
        EMAIL_ADDED = "email.added", "Email address added"
        EMAIL_REMOVED = "email.removed", "Email address removed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="security_events"
    )
    # The address typed or concerned, kept as given (a failed login may name no account).
    email = models.CharField(max_length=254, blank=True)
    event = models.CharField(max_length=32, choices=Event.choices)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="security_user_created"),
            models.Index(fields=["email", "-created_at"], name="security_email_created"),
            models.Index(fields=["event", "-created_at"], name="security_event_created"),
        ]

    def __str__(self):
        return f"{self.get_event_display()}: {self.email or self.user_id}"

    def save(self, *args, **kwargs):
        # History, like audit entries (deleting the user only clears the FK, in SQL).
        if not self._state.adding:
            raise AppendOnlyError("Security events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Security events cannot be deleted.")
