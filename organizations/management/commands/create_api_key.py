"""``manage.py create_api_key <org-slug> --name <name> [--read-only]``: prints the key, alone on
its line, and nothing else on stdout (scripts capture it)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from organizations.management.commands.create_organization import _describe
from organizations.models import Organization
from organizations.permissions import ApiKeyScope
from organizations.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an organization and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("org_slug", help="The organization's slug.")
        parser.add_argument("--name", required=True, help="A name for the key, e.g. where it is used.")
        parser.add_argument("--read-only", action="store_true", help="Read-only key (default: read and write).")

    def handle(self, *args, org_slug, name, read_only, **options):
        organization = Organization.objects.filter(slug=org_slug).first()
        if organization is None:
            raise CommandError(f"No organization with slug “{org_slug}”.")
        scope = ApiKeyScope.READ_ONLY if read_only else ApiKeyScope.READ_WRITE
        try:
            # The service opens the organization's scope itself; the actor is the system.
            _api_key, raw = api_key_create(organization=organization, actor=None, name=name, scope=scope)
        except ValidationError as exc:
            raise CommandError(_describe(exc)) from None
        self.stdout.write(raw)
