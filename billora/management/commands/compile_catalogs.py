from django.core.management.base import BaseCommand

from billora.catalogs import compile_catalogs


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/django.po to .mo with Babel (no GNU gettext needed)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Recompile catalogs that look up to date.")

    def handle(self, *args, force=False, **options):
        for path in compile_catalogs(force=force):
            self.stdout.write(f"compiled {path}")
