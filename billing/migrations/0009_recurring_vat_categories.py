"""VAT categories on recurring template lines, as on invoice items: an existing line above a
0 rate stays S; at 0 it takes its business's default category when that is not S, else Z.
Templates get exemption reasons of their own (empty: the invoices take the business's)."""

from django.db import migrations, models


def categorize_existing_lines(apps, schema_editor):
    RecurringInvoiceLine = apps.get_model("billing", "RecurringInvoiceLine")
    Business = apps.get_model("billing", "Business")
    at_zero = RecurringInvoiceLine.objects.filter(tax_rate=0)
    defaults = Business.objects.exclude(default_vat_category="S").values_list("default_vat_category", flat=True)
    for category in set(defaults):
        at_zero.filter(template__business__default_vat_category=category).update(vat_category=category)
    at_zero.filter(template__business__default_vat_category="S").update(vat_category="Z")


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0008_vat_categories'),
        ('organizations', '0004_idempotency_response_bytes'),
    ]

    operations = [
        migrations.AddField(
            model_name='recurringinvoice',
            name='vat_exemption_reasons',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='recurringinvoiceline',
            name='vat_category',
            field=models.CharField(choices=[('S', 'Standard or reduced rate'), ('Z', 'Zero rated'), ('E', 'Exempt from VAT'), ('AE', 'Reverse charge'), ('K', 'Intra-community supply'), ('G', 'Export outside the EU'), ('O', 'Outside the scope of VAT')], default='S', max_length=2),
        ),
        migrations.RunPython(categorize_existing_lines, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='recurringinvoiceline',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('tax_rate__gt', 0), ('vat_category', 'S')), models.Q(('vat_category__in', ['S', 'Z', 'E', 'AE', 'K', 'G', 'O']), models.Q(('vat_category', 'S'), _negated=True), ('tax_rate', 0)), _connector='OR'), name='recurring_line_vat_category_rate'),
        ),
    ]
