"""The shape of the application code: no function longer than about 60 lines, and code and
README say what and why, never which ticket asked for it."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "audit", "billing", "billora", "documents", "organizations")
MAX_FUNCTION_LINES = 60


def application_files():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_the_scan_finds_the_application_code():
    files = list(application_files())
    assert len(files) > 50
    assert ROOT / "billing" / "selectors.py" in files


@pytest.mark.parametrize("path", list(application_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_is_longer_than_sixty_lines(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        f"{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


TICKET = re.compile(r"\b(issue|ticket)s? #?\d+", re.IGNORECASE)


def test_code_and_readme_never_name_a_ticket():
    files = [*application_files(), *(ROOT / "bench").rglob("*.py"), ROOT / "README.md"]
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if TICKET.search(line)
    ]
    assert found == []
