"""Partial indexes for the dashboard: the open invoices (by due date, with currency and
balance), the invoiced ones (by issue date, with currency and total) and the payments not
voided (by date, with invoice and amount). The dashboard reads only these rows, so its cost
follows the open invoices and the last months, not the organization's whole history.

Plain ``CREATE INDEX`` on both SQLite and PostgreSQL (partial indexes work on both)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_remove_invoice_count"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("status__in", ("issued", "partially_paid"))),
                fields=["organization", "due_date", "currency", "balance_due"],
                name="invoice_open_org_due",
            ),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("status__in", ("issued", "partially_paid", "paid"))),
                fields=["organization", "issue_date", "currency", "total"],
                name="invoice_invoiced_org_issue",
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                condition=models.Q(("voided", False)),
                fields=["organization", "date", "invoice", "amount"],
                name="payment_live_org_date",
            ),
        ),
    ]
