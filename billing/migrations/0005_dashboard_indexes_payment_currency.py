"""What the dashboard reads, and indexes holding exactly that:

- ``Payment.currency``: the invoice's currency, copied onto each payment (filled here for the
  payments that exist; payments only go to issued invoices, whose currency is fixed), so
  payments are summed by currency without joining their invoices.
- Partial indexes: the open invoices (by due date, with currency and balance), the invoiced
  ones (by issue date, with currency and total) and the payments not voided (by date, with
  currency and amount). The dashboard reads only these rows, so its cost follows the open
  invoices and the last months, not the organization's whole history.

Plain ``ALTER TABLE``/``CREATE INDEX`` on both SQLite and PostgreSQL (partial indexes work on
both). Reversible."""

from django.db import migrations, models

FILL_CURRENCY = """
UPDATE billing_payment
SET currency = (SELECT billing_invoice.currency FROM billing_invoice WHERE billing_invoice.id = billing_payment.invoice_id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_remove_invoice_count"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="currency",
            field=models.CharField(default="", editable=False, max_length=3),
            preserve_default=False,
        ),
        migrations.RunSQL(FILL_CURRENCY, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(condition=~models.Q(currency=""), name="payment_currency_set"),
        ),
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
                fields=["organization", "date", "currency", "amount"],
                name="payment_live_org_date",
            ),
        ),
    ]
