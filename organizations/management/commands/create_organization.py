"""``manage.py create_organization "<name>" --owner <email>``: prints the new organization's slug."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import User, normalize_email_address
from organizations.services import organization_create


class Command(BaseCommand):
    help = (
        "Create an organization with an owner (the user is created, with an unusable password, "
        "if needed) and print its slug."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The organization's name.")
        parser.add_argument("--owner", required=True, help="Email address of the owner.")
        parser.add_argument("--time-zone", default="UTC")
        parser.add_argument("--currency", default="EUR", help="Default ISO 4217 currency.")

    def handle(self, *args, name, owner, time_zone, currency, **options):
        email = normalize_email_address(owner)
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"--owner: “{owner}” is not a valid email address.") from None
        try:
            with transaction.atomic():
                user = User.objects.filter(email__iexact=email).first()
                if user is None:
                    user = User.objects.create_user(email=email, password=None)
                    self.stderr.write(f"Created user {email} (no password: use “Forgot password” to set one).")
                organization = organization_create(
                    actor=None, owner=user, name=name, time_zone=time_zone, default_currency=currency.upper()
                )
        except ValidationError as exc:
            raise CommandError(_describe(exc)) from None
        self.stdout.write(organization.slug)


def _describe(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
    return " ".join(exc.messages)
