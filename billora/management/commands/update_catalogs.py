from django.core.management.base import BaseCommand

from billora.catalogs import update_catalogs


class Command(BaseCommand):
    help = "Update locale/*/LC_MESSAGES/django.po from the code (makemessages; needs GNU gettext)."

    def handle(self, *args, **options):
        update_catalogs(verbosity=options["verbosity"])
