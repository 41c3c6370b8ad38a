"""Structured party addresses, VAT ids, registration ids, bank details, document language,
legal mentions, seller contact, buyer reference and Peppol ids on businesses and customers.

The free-text ``Business.address`` and ``Customer.billing_address`` move into the structured
fields, losing nothing: the first line goes to ``address_line1`` and the other lines, joined
with ", ", to ``address_line2``, so the rendered address still shows all of the old text.
Postcode, city and country stay blank for the user to fill in (organizations have no default
country to take one from); issuing an invoice asks for the missing country.

Reversible: going back joins the structured fields into the free text again.
"""

from django.db import migrations, models

LINE1_MAX = 200
LINE2_MAX = 1000


def split_free_text(text: str) -> tuple[str, str]:
    """``(address_line1, address_line2)`` holding every non-blank line of ``text``."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return "", ""
    first, rest = (lines[0], lines[1:]) if len(lines[0]) <= LINE1_MAX else ("", lines)
    joined = ", ".join(rest)
    if len(joined) > LINE2_MAX:
        # Never longer than the old text, which was at most 1000 characters.
        joined = " ".join(rest)
    return first, joined


def join_structured(party) -> str:
    locality = " ".join(part for part in (party.postcode, party.city) if part)
    lines = (party.address_line1, party.address_line2, locality, party.country)
    return "\n".join(line for line in lines if line)


def free_text_to_structured(apps, schema_editor):
    # Historical models have a plain manager: no tenant scope is needed (or possible) here.
    for model_name, text_field in (("Business", "address"), ("Customer", "billing_address")):
        model = apps.get_model("billing", model_name)
        for pk, text in list(model.objects.exclude(**{text_field: ""}).values_list("pk", text_field)):
            line1, line2 = split_free_text(text)
            model.objects.filter(pk=pk).update(address_line1=line1, address_line2=line2)


def structured_to_free_text(apps, schema_editor):
    for model_name, text_field in (("Business", "address"), ("Customer", "billing_address")):
        model = apps.get_model("billing", model_name)
        for party in list(model.objects.all()):
            model.objects.filter(pk=party.pk).update(**{text_field: join_structured(party)})


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_dashboard_indexes_payment_currency"),
    ]

    operations = [
        migrations.AddField(
            model_name="business",
            name="address_line1",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="business",
            name="address_line2",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="business",
            name="bic",
            field=models.CharField(blank=True, max_length=11),
        ),
        migrations.AddField(
            model_name="business",
            name="city",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="business",
            name="contact_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="business",
            name="country",
            field=models.CharField(blank=True, max_length=2),
        ),
        migrations.AddField(
            model_name="business",
            name="iban",
            field=models.CharField(blank=True, max_length=34),
        ),
        migrations.AddField(
            model_name="business",
            name="language",
            field=models.CharField(default="en", max_length=8),
        ),
        migrations.AddField(
            model_name="business",
            name="legal_mentions",
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AddField(
            model_name="business",
            name="legal_registration_id",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="business",
            name="peppol_id",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="business",
            name="postcode",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="business",
            name="vat_id",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="customer",
            name="address_line1",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="customer",
            name="address_line2",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="customer",
            name="buyer_reference",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="customer",
            name="city",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="customer",
            name="country",
            field=models.CharField(blank=True, max_length=2),
        ),
        migrations.AddField(
            model_name="customer",
            name="language",
            field=models.CharField(blank=True, max_length=8),
        ),
        migrations.AddField(
            model_name="customer",
            name="legal_registration_id",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="customer",
            name="peppol_id",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="customer",
            name="postcode",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="customer",
            name="vat_id",
            field=models.CharField(blank=True, max_length=20),
        ),
        # The old free text moves into the structured fields before its column goes.
        migrations.RunPython(free_text_to_structured, structured_to_free_text),
        migrations.RemoveField(
            model_name="business",
            name="address",
        ),
        migrations.RemoveField(
            model_name="customer",
            name="billing_address",
        ),
    ]
