"""``python manage.py verify_audit_chain [<org-slug>]``: recompute the audit hash chains.

Exit status 0 and a summary when every chain checks out; non-zero, naming the first bad entry
of each broken chain (organization, sequence, entry id, reason), otherwise.
"""

from django.core.management.base import BaseCommand, CommandError

from audit.verification import verify_chain
from organizations.models import Organization
from organizations.tenancy import all_tenants, organization_scope


class Command(BaseCommand):
    help = "Recompute every organization's audit hash chain (or one's) and report tampering."

    def add_arguments(self, parser):
        parser.add_argument("org_slug", nargs="?", help="Only this organization (default: all).")

    def handle(self, *args, org_slug=None, **options):
        # Listing organizations crosses tenants by nature; each chain is then read in its
        # own organization's scope.
        with all_tenants():
            organizations = Organization.objects.order_by("slug")
            if org_slug:
                organizations = organizations.filter(slug=org_slug)
                if not organizations.exists():
                    raise CommandError(f"No organization with the slug “{org_slug}”.")
            organization_ids = list(organizations.values_list("pk", flat=True))

        broken, total_entries = [], 0
        for organization_id in organization_ids:
            with all_tenants():
                organization = Organization.objects.get(pk=organization_id)
            with organization_scope(organization):
                report = verify_chain(organization)
            total_entries += report.entries
            if report.ok:
                self.stdout.write(f"{organization.slug}: {report.entries} entries, chain intact")
            else:
                broken.append(report)
                self.stderr.write(f"{organization.slug}: BROKEN at {report.problem}")

        if broken:
            first = broken[0]
            raise CommandError(
                f"{len(broken)} of {len(organization_ids)} audit chains broken; first bad entry: "
                f"organization {first.organization.slug}, {first.problem}"
            )
        self.stdout.write(
            self.style.SUCCESS(f"All {len(organization_ids)} audit chains intact ({total_entries} entries verified).")
        )
