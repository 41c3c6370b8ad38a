"""``InvoiceCount``: each organization's number of invoices, kept by triggers on the invoice
table, so an unfiltered list page reads one row instead of counting every invoice.

PostgreSQL: statement-level triggers with transition tables, so a bulk insert or a cascade
updates each organization's row once per statement, not once per invoice. They run at once
(not deferred to commit) so a transaction reads its own writes; the row stays locked until
commit, which is why the services insert and delete invoices before they lock the audit
chain (``billing.services``). A row-level trigger covers the never-expected move of an
invoice to another organization, and a TRUNCATE of the invoices empties the counts. SQLite:
row-level triggers (it has neither transition tables nor TRUNCATE).
The existing invoices are counted once here."""

from django.db import migrations, models
import django.db.models.deletion

POSTGRESQL = """
CREATE FUNCTION billing_invoice_count_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO billing_invoicecount AS tally (organization_id, invoices)
    SELECT organization_id, count(*) FROM added GROUP BY organization_id ORDER BY organization_id
    ON CONFLICT (organization_id) DO UPDATE SET invoices = tally.invoices + EXCLUDED.invoices;
    RETURN NULL;
END;
$$;

CREATE FUNCTION billing_invoice_count_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE billing_invoicecount AS tally SET invoices = tally.invoices - gone.invoices
    FROM (
        SELECT organization_id, count(*) AS invoices FROM removed GROUP BY organization_id ORDER BY organization_id
    ) AS gone
    WHERE tally.organization_id = gone.organization_id;
    RETURN NULL;
END;
$$;

CREATE FUNCTION billing_invoice_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE billing_invoicecount SET invoices = invoices - 1 WHERE organization_id = OLD.organization_id;
    INSERT INTO billing_invoicecount AS tally (organization_id, invoices) VALUES (NEW.organization_id, 1)
    ON CONFLICT (organization_id) DO UPDATE SET invoices = tally.invoices + 1;
    RETURN NULL;
END;
$$;

CREATE FUNCTION billing_invoice_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM billing_invoicecount;
    RETURN NULL;
END;
$$;

CREATE TRIGGER billing_invoice_count_added AFTER INSERT ON billing_invoice
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION billing_invoice_count_added();
CREATE TRIGGER billing_invoice_count_removed AFTER DELETE ON billing_invoice
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION billing_invoice_count_removed();
CREATE TRIGGER billing_invoice_count_moved AFTER UPDATE OF organization_id ON billing_invoice
    FOR EACH ROW WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id)
    EXECUTE FUNCTION billing_invoice_count_moved();
CREATE TRIGGER billing_invoice_count_truncated AFTER TRUNCATE ON billing_invoice
    FOR EACH STATEMENT EXECUTE FUNCTION billing_invoice_count_truncated();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS billing_invoice_count_added ON billing_invoice;
DROP TRIGGER IF EXISTS billing_invoice_count_removed ON billing_invoice;
DROP TRIGGER IF EXISTS billing_invoice_count_moved ON billing_invoice;
DROP TRIGGER IF EXISTS billing_invoice_count_truncated ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_count_added();
DROP FUNCTION IF EXISTS billing_invoice_count_removed();
DROP FUNCTION IF EXISTS billing_invoice_count_moved();
DROP FUNCTION IF EXISTS billing_invoice_count_truncated();
"""

SQLITE = [
    """
    CREATE TRIGGER billing_invoice_count_added AFTER INSERT ON billing_invoice BEGIN
        INSERT INTO billing_invoicecount (organization_id, invoices) VALUES (NEW.organization_id, 1)
        ON CONFLICT (organization_id) DO UPDATE SET invoices = invoices + 1;
    END
    """,
    """
    CREATE TRIGGER billing_invoice_count_removed AFTER DELETE ON billing_invoice BEGIN
        UPDATE billing_invoicecount SET invoices = invoices - 1 WHERE organization_id = OLD.organization_id;
    END
    """,
    """
    CREATE TRIGGER billing_invoice_count_moved AFTER UPDATE OF organization_id ON billing_invoice
    WHEN OLD.organization_id IS NOT NEW.organization_id BEGIN
        UPDATE billing_invoicecount SET invoices = invoices - 1 WHERE organization_id = OLD.organization_id;
        INSERT INTO billing_invoicecount (organization_id, invoices) VALUES (NEW.organization_id, 1)
        ON CONFLICT (organization_id) DO UPDATE SET invoices = invoices + 1;
    END
    """,
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS billing_invoice_count_added",
    "DROP TRIGGER IF EXISTS billing_invoice_count_removed",
    "DROP TRIGGER IF EXISTS billing_invoice_count_moved",
]

COUNT_EXISTING = """
INSERT INTO billing_invoicecount (organization_id, invoices)
SELECT organization_id, count(*) FROM billing_invoice GROUP BY organization_id
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)
    else:
        raise NotImplementedError(f"No invoice count triggers for {schema_editor.connection.vendor}.")
    schema_editor.execute(COUNT_EXISTING, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP, params=None)
    else:
        for statement in SQLITE_DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_invoice_checks_exact_on_sqlite"),
        ("organizations", "0002_idempotency_key"),
    ]

    operations = [
        migrations.CreateModel(
            name="InvoiceCount",
            fields=[
                (
                    "organization",
                    models.OneToOneField(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="organizations.organization",
                    ),
                ),
                ("invoices", models.BigIntegerField(default=0, editable=False)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
