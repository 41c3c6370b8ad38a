"""Drop ``InvoiceCount`` and its triggers: invoice lists count their rows with ``COUNT(*)``, on
every database alike, and no invoice write has to lock a per-organization count row.

Reversible: going back to 0003 recreates the table and its triggers and counts the invoices
that exist then, as 0003 did."""

import importlib

from django.db import migrations

invoice_count = importlib.import_module("billing.migrations.0003_invoice_count")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_invoice_count"),
    ]

    operations = [
        # The triggers write to the table: they go first, and come back last.
        migrations.RunPython(invoice_count.drop_triggers, invoice_count.create_triggers),
        migrations.DeleteModel(name="InvoiceCount"),
    ]
