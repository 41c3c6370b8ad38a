"""Billora runs behind PgBouncer in transaction mode (CI runs the API, concurrency and multi-host
tests through it: .ci/test-through-pgbouncer). There, consecutive transactions of one Django
connection may use different server connections, so nothing may outlive a transaction on the
server: no session settings, session advisory locks, LISTEN, temporary tables, held cursors or
named prepared statements. This test keeps such code out of the application and its migrations
(the settings' own switches are tested below)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPLICATION = ("accounts", "organizations", "audit", "billing", "documents", "billora")
SESSION_STATE = {
    "session-level advisory lock (use pg_advisory_xact_lock)": re.compile(r"pg_(try_)?advisory_lock", re.I),
    "SET outside a transaction (use SET LOCAL or set_config(..., true))": re.compile(
        r"""["']\s*SET\s+(?!LOCAL\b|TRANSACTION\b|CONSTRAINTS\b)"""
    ),
    "session-wide set_config (its third argument must be true)": re.compile(r"set_config\([^)]*,\s*false\s*\)", re.I),
    "LISTEN (needs a session of its own)": re.compile(r"""["']\s*LISTEN\s"""),
    "temporary table (lives as long as the server session)": re.compile(r"CREATE\s+TEMP(ORARY)?\s+TABLE", re.I),
    "cursor WITH HOLD (outlives its transaction)": re.compile(r"WITH\s+HOLD", re.I),
    "named prepared statement": re.compile(r"""["']\s*PREPARE\s|prepare\s*=\s*True"""),
}


def application_sources():
    for app in APPLICATION:
        yield from sorted((ROOT / app).rglob("*.py"))


def test_the_application_keeps_no_state_in_the_database_session():
    found = []
    for path in application_sources():
        text = path.read_text()
        for reason, pattern in SESSION_STATE.items():
            found += [f"{path.relative_to(ROOT)}: {reason}: {m.group(0)!r}" for m in pattern.finditer(text)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "snippet",
    [
        'cursor.execute("SELECT pg_advisory_lock(42)")',
        "cursor.execute('SET statement_timeout = 100')",
        "cursor.execute(\"SELECT set_config('billora.organization_id', %s, false)\")",
        'cursor.execute("LISTEN invoices")',
        'sql = "CREATE TEMPORARY TABLE t (id int)"',
        "conn.execute(query, prepare=True)",
    ],
)
def test_each_kind_of_session_state_is_recognised(snippet):
    assert any(pattern.search(snippet) for pattern in SESSION_STATE.values())


@pytest.mark.parametrize(
    "snippet",
    [
        'cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")',
        'cursor.execute("SET LOCAL billora.organization_id = %s")',
        "cursor.execute(\"SELECT set_config('billora.organization_id', %s, true)\")",
        'cursor.execute("SELECT pg_advisory_xact_lock(42)")',
        'cursor.execute("UPDATE t SET a = 1")',
    ],
)
def test_transaction_scoped_state_is_allowed(snippet):
    assert not any(pattern.search(snippet) for pattern in SESSION_STATE.values())


def test_the_pooler_settings_turn_prepared_statements_and_held_cursors_off():
    """DB_PREPARE_THRESHOLD= (empty) and DB_DISABLE_SERVER_SIDE_CURSORS=1, what a transaction
    pooler needs (README, Production), reach psycopg and Django."""
    script = (
        "import django; django.setup(); from django.conf import settings as s; d = s.DATABASES['default'];"
        "o = d['OPTIONS']; print(o['prepare_threshold'], o['server_side_binding'], d['DISABLE_SERVER_SIDE_CURSORS'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "billora.settings",
        "DATABASE_URL": "postgres://billora@pgbouncer.internal:6432/billora",
        "DB_PREPARE_THRESHOLD": "",
        "DB_DISABLE_SERVER_SIDE_CURSORS": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["None", "True", "True"]
