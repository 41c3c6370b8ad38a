"""VAT categories per line: every existing line gets the default category (S above a 0 rate,
Z at 0), and every stored tax breakdown row says its category and carries empty exemption
reasons, so old and new invoices read the same. Nothing else changes: the amounts stay."""

from decimal import Decimal

from django.db import migrations, models

BATCH = 500


def categorize_existing_lines(apps, schema_editor):
    InvoiceItem = apps.get_model("billing", "InvoiceItem")
    Invoice = apps.get_model("billing", "Invoice")
    InvoiceItem.objects.filter(tax_rate=0).update(vat_category="Z")
    batch = []
    for invoice in Invoice.objects.exclude(tax_breakdown=[]).only("id", "tax_breakdown").iterator(chunk_size=BATCH):
        invoice.tax_breakdown = [
            {
                "category": row.get("category") or ("S" if Decimal(str(row["rate"])) > 0 else "Z"),
                **row,
                "exemption_reason": row.get("exemption_reason", ""),
                "exemption_reason_code": row.get("exemption_reason_code", ""),
            }
            for row in invoice.tax_breakdown or []
        ]
        batch.append(invoice)
        if len(batch) >= BATCH:
            Invoice.objects.bulk_update(batch, ["tax_breakdown"])
            batch = []
    if batch:
        Invoice.objects.bulk_update(batch, ["tax_breakdown"])


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0007_recurring_invoices'),
        ('organizations', '0003_require_two_factor'),
    ]

    operations = [
        migrations.AddField(
            model_name='business',
            name='default_vat_category',
            field=models.CharField(choices=[('S', 'Standard or reduced rate'), ('Z', 'Zero rated'), ('E', 'Exempt from VAT'), ('AE', 'Reverse charge'), ('K', 'Intra-community supply'), ('G', 'Export outside the EU'), ('O', 'Outside the scope of VAT')], default='S', max_length=2),
        ),
        migrations.AddField(
            model_name='business',
            name='vat_exemption_reasons',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='invoice',
            name='vat_exemption_reasons',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='invoiceitem',
            name='vat_category',
            field=models.CharField(choices=[('S', 'Standard or reduced rate'), ('Z', 'Zero rated'), ('E', 'Exempt from VAT'), ('AE', 'Reverse charge'), ('K', 'Intra-community supply'), ('G', 'Export outside the EU'), ('O', 'Outside the scope of VAT')], default='S', max_length=2),
        ),
        migrations.RunPython(categorize_existing_lines, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='invoiceitem',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('tax_rate__gt', 0), ('vat_category', 'S')), models.Q(('vat_category__in', ['S', 'Z', 'E', 'AE', 'K', 'G', 'O']), models.Q(('vat_category', 'S'), _negated=True), ('tax_rate', 0)), _connector='OR'), name='invoice_item_vat_category_rate'),
        ),
    ]
