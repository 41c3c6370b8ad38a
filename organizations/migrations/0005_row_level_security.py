"""PostgreSQL row-level security on every tenant-owned table (organizations/rls.py explains
the policy and who it binds). Every table listed has its own ``organization_id`` column, so
each policy is a plain comparison on an indexed column, without joins to a parent table.
Nothing happens on SQLite."""

from django.db import migrations

from organizations.rls import drop_policy_sql, policy_sql

TENANT_TABLES = (
    "audit_auditchainhead",
    "audit_auditentry",
    "billing_business",
    "billing_customer",
    "billing_invoice",
    "billing_invoiceitem",
    "billing_numbersequence",
    "billing_payment",
    "billing_recurringinvoice",
    "billing_recurringinvoiceline",
    "billing_recurringrun",
    "documents_invoicedocument",
    "documents_outboundemail",
    "organizations_apikey",
    "organizations_idempotencykey",
    "organizations_invite",
    "organizations_membership",
)


def _on_postgresql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in TENANT_TABLES:
                schema_editor.execute(statement(table), params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0004_idempotency_response_bytes"),
        ("audit", "0004_actor_ids_survive_deletion"),
        ("billing", "0009_recurring_vat_categories"),
        ("documents", "0003_redact_sent_invite_links"),
    ]

    operations = [migrations.RunPython(_on_postgresql(policy_sql), _on_postgresql(drop_policy_sql))]
