"""Credit notes and their lines, refunds (payments of kind ``refund``), credited and refunded
amounts on invoices, the ``credited`` status, corrections linked by ``replaces``, and a
separate credit note sequence per business. Existing rows need no data change: credits and
refunds start at 0 (the balance formula holds as before), every sequence is an invoice
sequence, every payment a payment, and invoices voided before keep ``void`` as history.
The two new tenant tables get the row-level security policy every tenant table has, and the
dashboard's partial indexes the columns it now reads (credited totals, payment kinds)."""

import django.core.validators
import django.db.models.deletion
import django.db.models.expressions
import django.db.models.functions.math
import organizations.models
import uuid
from django.conf import settings
from django.db import migrations, models

from organizations.rls import drop_policy_sql, policy_sql

NEW_TENANT_TABLES = ("billing_creditnote", "billing_creditnoteitem")


def _on_postgresql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in NEW_TENANT_TABLES:
                schema_editor.execute(statement(table), params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0010_business_facturx_customer_einvoice_format"),
        ("organizations", "0005_row_level_security"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CreditNote",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("number", models.CharField(blank=True, max_length=64, null=True)),
                (
                    "status",
                    models.CharField(
                        choices=[("draft", "Draft"), ("issued", "Issued")], default="draft", max_length=10
                    ),
                ),
                ("reason", models.TextField(blank=True, max_length=2000)),
                ("issue_date", models.DateField()),
                (
                    "currency",
                    models.CharField(
                        max_length=3,
                        validators=[
                            django.core.validators.RegexValidator("^[A-Z]{3}$", "Use a three-letter ISO 4217 code."),
                            organizations.models.validate_currency_code,
                        ],
                    ),
                ),
                (
                    "discount_type",
                    models.CharField(
                        choices=[("none", "No discount"), ("percent", "Percent"), ("amount", "Amount")],
                        default="none",
                        max_length=10,
                    ),
                ),
                ("discount_value", models.DecimalField(decimal_places=3, default=0, max_digits=19)),
                ("subtotal", models.DecimalField(decimal_places=3, default=0, max_digits=19)),
                ("discount_total", models.DecimalField(decimal_places=3, default=0, max_digits=19)),
                ("tax_total", models.DecimalField(decimal_places=3, default=0, max_digits=19)),
                ("total", models.DecimalField(decimal_places=3, default=0, max_digits=19)),
                ("tax_breakdown", models.JSONField(blank=True, default=list)),
                ("vat_exemption_reasons", models.JSONField(blank=True, default=dict)),
                ("version", models.PositiveIntegerField(default=1)),
                ("issued_at", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("invoice_number", models.CharField(blank=True, max_length=64)),
                ("invoice_issue_date", models.DateField(blank=True, null=True)),
                ("business_snapshot", models.JSONField(blank=True, default=dict)),
                ("customer_snapshot", models.JSONField(blank=True, default=dict)),
            ],
            options={
                "ordering": ["-created_at"],
            },
        ),
        migrations.CreateModel(
            name="CreditNoteItem",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("position", models.PositiveIntegerField()),
                ("description", models.TextField(max_length=2000)),
                ("quantity", models.DecimalField(decimal_places=4, max_digits=14)),
                ("unit_price", models.DecimalField(decimal_places=4, max_digits=15)),
                ("tax_rate", models.DecimalField(decimal_places=3, default=0, max_digits=6)),
                (
                    "vat_category",
                    models.CharField(
                        choices=[
                            ("S", "Standard or reduced rate"),
                            ("Z", "Zero rated"),
                            ("E", "Exempt from VAT"),
                            ("AE", "Reverse charge"),
                            ("K", "Intra-community supply"),
                            ("G", "Export outside the EU"),
                            ("O", "Outside the scope of VAT"),
                        ],
                        default="S",
                        max_length=2,
                    ),
                ),
                ("line_net", models.DecimalField(decimal_places=3, max_digits=19)),
                ("line_discount", models.DecimalField(decimal_places=3, default=0, max_digits=19)),
            ],
            options={
                "ordering": ["credit_note", "position"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="invoice",
            name="invoice_status_valid",
        ),
        migrations.RemoveConstraint(
            model_name="invoice",
            name="invoice_no_overpayment",
        ),
        migrations.RemoveConstraint(
            model_name="invoice",
            name="invoice_balance_is_total_minus_paid",
        ),
        migrations.RemoveConstraint(
            model_name="numbersequence",
            name="number_sequence_unique_year",
        ),
        migrations.AddField(
            model_name="business",
            name="credit_note_number_format",
            field=models.CharField(default="CN-{YYYY}-{SEQ}", max_length=50),
        ),
        migrations.AddField(
            model_name="business",
            name="credit_note_number_width",
            field=models.PositiveSmallIntegerField(
                default=4,
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(12)],
            ),
        ),
        migrations.AddField(
            model_name="business",
            name="credit_note_number_yearly_reset",
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name="invoice",
            name="amount_refunded",
            field=models.DecimalField(decimal_places=3, default=0, max_digits=19),
        ),
        migrations.AddField(
            model_name="invoice",
            name="credited_total",
            field=models.DecimalField(decimal_places=3, default=0, max_digits=19),
        ),
        migrations.AddField(
            model_name="invoice",
            name="replaces",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="replaced_by",
                to="billing.invoice",
            ),
        ),
        migrations.AddField(
            model_name="numbersequence",
            name="kind",
            field=models.CharField(
                choices=[("invoice", "Invoices"), ("credit_note", "Credit notes")], default="invoice", max_length=16
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="kind",
            field=models.CharField(
                choices=[("payment", "Payment"), ("refund", "Refund")], default="payment", max_length=10
            ),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("issued", "Issued"),
                    ("partially_paid", "Partially paid"),
                    ("paid", "Paid"),
                    ("credited", "Credited"),
                    ("void", "Void"),
                ],
                default="draft",
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["draft", "issued", "partially_paid", "paid", "credited", "void"])),
                name="invoice_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_refunded__gte", 0)), name="invoice_amount_refunded_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("credited_total__gte", 0), ("credited_total__lte", models.F("total"))),
                name="invoice_credited_within_total",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "balance_due",
                        django.db.models.functions.math.Round(
                            django.db.models.expressions.CombinedExpression(
                                django.db.models.expressions.CombinedExpression(
                                    django.db.models.expressions.CombinedExpression(
                                        models.F("total"), "-", models.F("credited_total")
                                    ),
                                    "-",
                                    models.F("amount_paid"),
                                ),
                                "+",
                                models.F("amount_refunded"),
                            ),
                            3,
                        ),
                    )
                ),
                name="invoice_balance_adds_up",
            ),
        ),
        migrations.AddConstraint(
            model_name="numbersequence",
            constraint=models.UniqueConstraint(
                fields=("business", "kind", "year"), name="number_sequence_unique_kind_year"
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["payment", "refund"])), name="payment_kind_valid"
            ),
        ),
        migrations.AddField(
            model_name="creditnote",
            name="business",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="credit_notes", to="billing.business"
            ),
        ),
        migrations.AddField(
            model_name="creditnote",
            name="created_by_api_key",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="organizations.apikey",
            ),
        ),
        migrations.AddField(
            model_name="creditnote",
            name="created_by_user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="creditnote",
            name="invoice",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="credit_notes", to="billing.invoice"
            ),
        ),
        migrations.AddField(
            model_name="creditnote",
            name="organization",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="organizations.organization",
            ),
        ),
        migrations.AddField(
            model_name="creditnoteitem",
            name="credit_note",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="items", to="billing.creditnote"
            ),
        ),
        migrations.AddField(
            model_name="creditnoteitem",
            name="organization",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="organizations.organization",
            ),
        ),
        migrations.AddIndex(
            model_name="creditnote",
            index=models.Index(fields=["organization", "-created_at"], name="credit_note_org_created"),
        ),
        migrations.AddIndex(
            model_name="creditnote",
            index=models.Index(fields=["organization", "invoice"], name="credit_note_org_invoice"),
        ),
        migrations.AddIndex(
            model_name="creditnote",
            index=models.Index(fields=["organization", "status"], name="credit_note_org_status"),
        ),
        migrations.AddConstraint(
            model_name="creditnote",
            constraint=models.UniqueConstraint(
                condition=models.Q(("number__isnull", False)),
                fields=("business", "number"),
                name="credit_note_number_unique_per_business",
            ),
        ),
        migrations.AddConstraint(
            model_name="creditnote",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("number__isnull", True), ("status", "draft")),
                    models.Q(("number__isnull", False), ("status", "issued")),
                    _connector="OR",
                ),
                name="credit_note_numbered_when_issued",
            ),
        ),
        migrations.AddConstraint(
            model_name="creditnote",
            constraint=models.CheckConstraint(
                condition=models.Q(("total__gte", 0)), name="credit_note_total_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="creditnote",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "total",
                        django.db.models.functions.math.Round(
                            django.db.models.expressions.CombinedExpression(
                                django.db.models.expressions.CombinedExpression(
                                    models.F("subtotal"), "-", models.F("discount_total")
                                ),
                                "+",
                                models.F("tax_total"),
                            ),
                            3,
                        ),
                    )
                ),
                name="credit_note_total_adds_up",
            ),
        ),
        migrations.AddIndex(
            model_name="creditnoteitem",
            index=models.Index(fields=["organization", "credit_note"], name="credit_note_item_org_note"),
        ),
        migrations.AddConstraint(
            model_name="creditnoteitem",
            constraint=models.UniqueConstraint(
                fields=("credit_note", "position"), name="credit_note_item_unique_position"
            ),
        ),
        migrations.AddConstraint(
            model_name="creditnoteitem",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__gt", 0)), name="credit_note_item_quantity_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="creditnoteitem",
            constraint=models.CheckConstraint(
                condition=models.Q(("unit_price__gte", 0)), name="credit_note_item_price_not_negative"
            ),
        ),
        # The dashboard's partial indexes carry the new columns its sums read.
        migrations.RemoveIndex(
            model_name="invoice",
            name="invoice_invoiced_org_issue",
        ),
        migrations.RemoveIndex(
            model_name="payment",
            name="payment_live_org_date",
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("status__in", ("issued", "partially_paid", "paid"))),
                fields=["organization", "issue_date", "currency", "total", "credited_total"],
                name="invoice_invoiced_org_issue",
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                condition=models.Q(("voided", False)),
                fields=["organization", "date", "currency", "amount", "kind"],
                name="payment_live_org_date",
            ),
        ),
        migrations.RunPython(_on_postgresql(policy_sql), _on_postgresql(drop_policy_sql)),
    ]
