"""The translation catalogs: complete, consistent with the code, and compiled without GNU gettext."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

from billora.catalogs import IGNORED, catalog_paths, compile_catalogs, translated_languages

ROOT = Path(settings.BASE_DIR)
PYTHON_FORMAT = re.compile(r"%\((\w+)\)s|%%")
BRACES = re.compile(r"\{\w*\}")


def _catalog(path):
    with path.open("rb") as fh:
        return read_po(fh, locale=path.parent.parent.name)


def _messages():
    for path in catalog_paths():
        for message in _catalog(path):
            if message.id:
                yield path.parent.parent.name, message


def test_there_is_a_catalog_for_french_and_german():
    assert translated_languages() == ["fr", "de"]
    assert all(path.exists() for path in catalog_paths())


@pytest.mark.parametrize("language", ["fr", "de"])
def test_every_msgid_is_translated_and_none_is_fuzzy(language):
    untranslated, fuzzy = [], []
    for lang, message in _messages():
        if lang != language:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not untranslated, f"untranslated in {language} (run `make messages`, then translate): {untranslated}"
    assert not fuzzy, f"fuzzy in {language} (check the translation, then remove the flag): {fuzzy}"


def test_translations_keep_every_placeholder():
    """A lost %(name)s breaks the string at run time; a lost {number} breaks the email."""
    wrong = []
    for lang, message in _messages():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for pattern in (PYTHON_FORMAT, BRACES):
            wanted = sorted(pattern.findall(ids[-1]))
            if any(sorted(pattern.findall(text)) != wanted for text in strings if text and len(ids) == 1):
                wrong.append((lang, message.id))
            if len(ids) == 2 and sorted(set(pattern.findall(strings[-1]))) != sorted(set(wanted)):
                wrong.append((lang, message.id))
    assert not wrong


def test_catalog_headers_name_the_language_and_its_plural_rule():
    for path in catalog_paths():
        catalog = _catalog(path)
        assert not catalog.fuzzy
        assert str(catalog.locale) == path.parent.parent.name
        assert catalog.num_plurals == 2


def test_compiling_needs_no_gnu_gettext_and_django_reads_the_result(tmp_path, settings):
    locale_dir = tmp_path / "locale"
    for path in catalog_paths():
        target = locale_dir / path.relative_to(path.parents[2])
        target.parent.mkdir(parents=True)
        shutil.copy(path, target)
    settings.LOCALE_PATHS = [locale_dir]
    env_path = os.environ.get("PATH", "")
    os.environ["PATH"] = ""  # no msgfmt anywhere: Babel compiles
    try:
        written = compile_catalogs(force=True)
    finally:
        os.environ["PATH"] = env_path
    assert sorted(p.name for p in written) == ["django.mo", "django.mo"]
    assert compile_catalogs() == []  # up to date: nothing rewritten
    with translation.override("de"):
        assert translation.gettext("Balance due") == "Offener Betrag"
    with translation.override("fr"):
        assert translation.gettext("Balance due") == "Montant dû"


def test_the_catalogs_hold_exactly_the_strings_of_the_code(tmp_path):
    """`make messages` on the committed tree changes nothing: no string of the code is
    missing from a catalog, and no catalog keeps a string the code no longer has."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        if os.environ.get("BILLORA_REQUIRE_GETTEXT") == "1":
            pytest.fail("BILLORA_REQUIRE_GETTEXT=1 but GNU gettext (xgettext, msgmerge) is not installed.")
        pytest.skip("needs GNU gettext (apt-get install gettext) to run makemessages")
    copy = tmp_path / "tree"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*IGNORED, ".git", "*.mo", "__pycache__"))
    shutil.copytree(ROOT / "locale", copy / "locale", ignore=shutil.ignore_patterns("*.mo"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "billora.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "update_catalogs"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    for path in catalog_paths():
        relative = path.relative_to(ROOT)
        assert (copy / relative).read_text() == path.read_text(), f"{relative} is out of date: run `make messages`"
