"""The translation catalogs in ``locale/``: updated from the code, compiled for gettext.

``locale/<lang>/LC_MESSAGES/django.po`` are kept in the repository (translators edit them);
the ``.mo`` files are build output (``make compilemessages``, the Dockerfile, the test run).
Compiling uses Babel's pure-Python compiler, so a machine with only Python builds the app;
updating the catalogs from the code (``make messages``) needs GNU gettext's ``xgettext``.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.core.management.commands import makemessages

DOMAIN = "django"
# What makemessages reads: the apps and templates, not tests, tooling or installed packages.
IGNORED = [".venv", "venv", "var", "tests", "bench", "deploy", "staticfiles", "static", "node_modules", "locale"]


def translated_languages() -> list[str]:
    """Every language of the site except the one the code is written in."""
    return [code for code, _name in settings.LANGUAGES if code != "en"]


def catalog_paths() -> list[Path]:
    return [
        Path(base) / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        for base in settings.LOCALE_PATHS
        for code in translated_languages()
    ]


def compile_catalogs(*, force: bool = False) -> list[Path]:
    """Write each catalog's ``.mo`` next to its ``.po`` when missing or older; returns the
    written paths. Fuzzy entries are left out, as GNU msgfmt does."""
    written = []
    for po_path in catalog_paths():
        mo_path = po_path.with_suffix(".mo")
        if not po_path.exists():
            continue
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name, domain=DOMAIN)
        tmp_path = mo_path.with_suffix(".mo.tmp")
        with tmp_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        tmp_path.replace(mo_path)  # atomic: a concurrent reader never sees half a file
        written.append(mo_path)
    return written


class _MakeMessages(makemessages.Command):
    # A new string starts untranslated: msgmerge's guesses from similar strings ("Country" ->
    # "Montant") are wrong more often than not, and would only be marked fuzzy.
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]


def update_catalogs(**options) -> None:
    """Add the code's new strings to every catalog (untranslated) and drop the ones it no
    longer has."""
    call_command(
        _MakeMessages(),
        locale=translated_languages(),
        ignore_patterns=IGNORED,
        no_location=True,
        no_obsolete=True,
        **options,
    )
