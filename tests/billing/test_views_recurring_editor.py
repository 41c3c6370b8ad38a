"""The recurring invoice form: create, edit and delete a template in the invoice's line editor,
with its schedule's next run dates; errors on the fields they concern (the service's checks,
including what issuing its invoices will need); roles, outsiders and other organizations' ids."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from audit.models import AuditEntry
from billing import services
from billing.models import Invoice, RecurringInvoice, RecurringRun
from billing.services.shared import plain
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.billing.vat_cases import AT_VAT, DE_VAT, REVERSE_CHARGE
from tests.billing.webclient import ROLES, WRITERS, log_in, log_in_outsider, org_url

pytestmark = pytest.mark.django_db

# Tuesday 20 January 2026, noon in Berlin (the organization's time zone).
TODAY = datetime(2026, 1, 20, 11, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


def lines_post(*rows):
    data = {}
    for i, (description, quantity, unit_price, tax_rate, category) in enumerate(rows):
        data[f"items-{i}-description"] = description
        data[f"items-{i}-quantity"] = quantity
        data[f"items-{i}-unit_price"] = unit_price
        data[f"items-{i}-tax_rate"] = tax_rate
        data[f"items-{i}-vat_category"] = category
    return data


RETAINER = ("Retainer", "1", "1500", "19", "S")
HOSTING = ("Hosting", "2", "24,50", "19", "S")


def recurring_post(business, customer, *rows, **overrides):
    data = {
        "name": "Monthly retainer",
        "business": str(business.pk),
        "customer": str(customer.pk),
        "currency": "EUR",
        "discount_type": "none",
        "discount_value": "",
        "notes": "Thank you",
        "terms": "",
        "frequency": "monthly",
        "day_of_month": "last",
        "start_date": "2026-01-31",
        "end_date": "",
        "count": "",
        "mode": "issue_and_send",
        "max_catch_up": "3",
    }
    data.update(lines_post(*(rows or (RETAINER, HOSTING))))
    data.update(overrides)
    return data


def templates(org):
    with organization_scope(org):
        return list(RecurringInvoice.objects.filter(organization=org))


def lines_of(org, template):
    with organization_scope(org):
        return [
            (line.description, plain(line.quantity), plain(line.unit_price), line.vat_category)
            for line in template.lines.order_by("position")
        ]


@pytest.fixture
def parties(org):
    return BusinessFactory(organization=org), CustomerFactory(organization=org, name="Wayne Enterprises")


@pytest.fixture
def template(org, parties):
    business, customer = parties
    return services.recurring_invoice_create(
        organization=org,
        actor=None,
        data={
            "name": "Weekly cleaning",
            "business": str(business.pk),
            "customer": str(customer.pk),
            "frequency": "weekly",
            "start_date": "2026-01-26",
            "items": [{"description": "Cleaning", "quantity": "3", "unit_price": "40", "tax_rate": "19"}],
        },
    )


# --- create ---------------------------------------------------------------------------------


def test_the_new_form_starts_with_the_defaults_and_shows_the_next_run_dates(client, org, parties):
    log_in(client, org, Role.MEMBER)
    response = client.get(org_url("recurring_create", org))
    page = response.content.decode()
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["start_date"] == date(2026, 1, 20) and form.initial["frequency"] == "monthly"
    # Monthly from today: the 20th of each month, today's at the next run.
    assert [period.run_date for period in response.context["schedule"]["preview"].upcoming] == [
        date(2026, 1, 20),
        date(2026, 2, 20),
        date(2026, 3, 20),
        date(2026, 4, 20),
        date(2026, 5, 20),
    ]
    assert "Tue, Jan 20, 2026" in page and "at the next run" in page
    assert 'id="item-editor"' in page and 'name="items-0-vat_category"' in page  # the invoice's line editor
    assert "Catch-up limit: at most 3 invoices at once" in page


def test_a_monthly_template_with_two_lines_is_created(client, org, parties, audit_entries):
    business, customer = parties
    user = log_in(client, org, Role.MEMBER)
    response = client.post(org_url("recurring_create", org), recurring_post(business, customer, skip_weekends="on"))
    (template,) = templates(org)
    assert response.status_code == 302 and response["Location"] == org_url(
        "recurring_detail", org, template_id=template.pk
    )
    assert (template.name, template.frequency, template.day_of_month, template.start_date) == (
        "Monthly retainer",
        "monthly",
        0,
        date(2026, 1, 31),
    )
    assert template.skip_weekends and template.mode == "issue_and_send" and template.notes == "Thank you"
    assert template.next_run_date == date(2026, 2, 2)  # Saturday 31 January moves to Monday
    assert lines_of(org, template) == [("Retainer", "1", "1500", "S"), ("Hosting", "2", "24.5", "S")]
    (entry,) = audit_entries(action="recurring_invoice.created")
    assert entry.actor_user_id == user.pk
    detail = client.get(response["Location"]).content.decode()
    assert "Recurring invoice created." in detail
    assert "Mon, Feb 2, 2026" in detail and "Sat, Feb 28, 2026" not in detail and "Mon, Mar 2, 2026" in detail


def test_without_a_start_date_it_starts_today_and_a_blank_line_is_ignored(client, org, parties):
    business, customer = parties
    log_in(client, org)
    data = recurring_post(business, customer, RETAINER, ("", "1", "", "19", "S"), start_date="", day_of_month="")
    assert client.post(org_url("recurring_create", org), data).status_code == 302
    (template,) = templates(org)
    assert template.start_date == date(2026, 1, 20) and template.day_of_month is None
    assert len(lines_of(org, template)) == 1


def test_errors_are_shown_on_their_fields_and_nothing_is_saved(client, org, parties):
    business, customer = parties
    log_in(client, org)
    bad_line = ("Retainer", "-1", "abc", "19", "S")
    data = recurring_post(business, customer, bad_line, end_date="2025-12-31", count="0", frequency="weekly")
    response = client.post(org_url("recurring_create", org), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["end_date"] == ["The end date cannot be before the start date."]
    assert errors["count"] == ["Ensure this value is greater than or equal to 1."]
    assert errors["day_of_month"] == ["Only monthly, quarterly and yearly schedules have a day of the month."]
    (row,) = response.context["rows"]
    assert set(row.errors) == {"quantity", "unit_price"}
    page = response.content.decode()
    assert "The recurring invoice was not saved" in page and 'aria-invalid="true"' in page
    assert templates(org) == []


def test_an_editor_button_changes_the_lines_and_saves_nothing(client, org, parties):
    business, customer = parties
    log_in(client, org)
    data = recurring_post(business, customer, editor_action="add")
    response = client.post(org_url("recurring_create", org), data)
    assert response.status_code == 200 and len(response.context["rows"]) == 3
    assert response.context["rows"][2].values["tax_rate"] == "19"  # carried from the line above
    response = client.post(
        org_url("recurring_create", org), recurring_post(business, customer, editor_action="remove-0")
    )
    assert [row.values["description"] for row in response.context["rows"]] == ["Hosting"]
    assert templates(org) == []


def test_the_line_editors_totals_endpoint_takes_the_recurring_form(client, org, parties):
    business, customer = parties
    log_in(client, org)
    response = client.post(org_url("invoice_editor", org), recurring_post(business, customer))
    assert response.status_code == 200
    assert response.context["preview"]["totals"].total == Decimal("1843.31")  # (1500 + 49) * 1.19


# --- what issuing its invoices will need ----------------------------------------------------


def test_reverse_charge_without_vat_numbers_is_refused_on_the_parties(client, org, parties):
    business, customer = parties  # neither has a VAT number
    log_in(client, org)
    data = recurring_post(
        business,
        customer,
        ("Consulting", "10", "140", "0", "AE"),
        vat_exemption_reasons_AE_text=REVERSE_CHARGE["text"],
    )
    response = client.post(org_url("recurring_create", org), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["business"] == ["VAT number: Reverse charge needs your business's VAT number."]
    assert errors["customer"] == ["VAT number: Reverse charge needs the customer's VAT number."]
    assert "vat_exemption_reasons" not in errors
    assert templates(org) == []


def test_an_exempt_line_without_a_reason_is_refused_on_the_reasons(client, org, parties):
    business, customer = parties
    log_in(client, org)
    response = client.post(
        org_url("recurring_create", org), recurring_post(business, customer, ("Books", "1", "20", "0", "E"))
    )
    assert response.status_code == 400
    (message,) = response.context["form"].errors["vat_exemption_reasons"]
    assert message.startswith("Exempt from VAT reason: Exempt lines need the reason no VAT is charged")
    assert 'data-vat-reason="E">' in response.content.decode()  # its inputs are shown, not hidden


def test_reverse_charge_with_both_vat_numbers_and_a_reason_is_saved(client, org):
    business = BusinessFactory(organization=org, country="AT", vat_id=AT_VAT)
    customer = CustomerFactory(organization=org, country="DE", vat_id=DE_VAT)
    log_in(client, org)
    data = recurring_post(
        business,
        customer,
        ("Consulting", "10", "140", "0", "AE"),
        vat_exemption_reasons_AE_text=REVERSE_CHARGE["text"],
        vat_exemption_reasons_AE_code=REVERSE_CHARGE["code"],
    )
    assert client.post(org_url("recurring_create", org), data).status_code == 302
    (template,) = templates(org)
    assert template.vat_exemption_reasons == {"AE": REVERSE_CHARGE}


# --- the schedule's next run dates ----------------------------------------------------------


def test_the_schedule_endpoint_shows_the_dates_and_what_the_catch_up_limit_skips(client, org, parties):
    business, customer = parties
    log_in(client, org)
    data = recurring_post(business, customer, frequency="every_2_weeks", day_of_month="", start_date="2025-11-04")
    data["max_catch_up"] = "2"
    response = client.post(org_url("recurring_schedule", org), data)
    preview = response.context["schedule"]["preview"]
    # Every other Tuesday from 4 November: 6 periods are past, the latest 2 run at once, 4 are skipped.
    assert preview.skipped == 4
    assert [period.run_date for period in preview.upcoming] == [
        date(2025, 12, 30),
        date(2026, 1, 13),
        date(2026, 1, 27),
        date(2026, 2, 10),
        date(2026, 2, 24),
    ]
    page = response.content.decode()
    assert "4 past periods are beyond the catch-up limit" in page
    assert page.count("at the next run") == 2


def test_the_schedule_endpoint_says_what_is_missing_and_when_it_ends(client, org, parties):
    business, customer = parties
    log_in(client, org)
    response = client.post(org_url("recurring_schedule", org), recurring_post(business, customer, frequency=""))
    assert response.status_code == 200
    assert "The dates show once the schedule is complete (Frequency: " in response.content.decode()
    response = client.post(org_url("recurring_schedule", org), recurring_post(business, customer, count="2"))
    page = response.content.decode()
    assert page.count('data-testid="run-date"') == 2 and "Then the schedule ends." in page


def test_the_schedule_of_a_template_continues_after_its_last_period(client, org, template):
    services.run_due_recurring_invoices(now=datetime(2026, 2, 3, 11, tzinfo=UTC))  # Jan 26 and Feb 2 run
    log_in(client, org)
    response = client.post(org_url("recurring_schedule_edit", org, template_id=template.pk), {"frequency": "weekly"})
    upcoming = response.context["schedule"]["preview"].upcoming
    assert upcoming[0].run_date == date(2026, 2, 9)


# --- edit and delete ------------------------------------------------------------------------


def test_edit_shows_the_template_and_saves_the_changes(client, org, parties, template, audit_entries):
    business, customer = parties
    log_in(client, org)
    response = client.get(org_url("recurring_edit", org, template_id=template.pk))
    page = response.content.decode()
    assert response.status_code == 200 and "Weekly cleaning" in page and ">Cleaning</textarea>" in page
    assert response.context["form"].initial["frequency"] == "weekly"
    data = recurring_post(business, customer, RETAINER, name="Cleaning, monthly", day_of_month="15", count="12")
    response = client.post(org_url("recurring_edit", org, template_id=template.pk), data)
    assert response.status_code == 302
    with organization_scope(org):
        template.refresh_from_db()
    assert (template.name, template.frequency, template.day_of_month, template.count) == (
        "Cleaning, monthly",
        "monthly",
        15,
        12,
    )
    assert lines_of(org, template) == [("Retainer", "1", "1500", "S")]
    (entry,) = audit_entries(action="recurring_invoice.updated")
    assert entry.changes["frequency"] == ["weekly", "monthly"]


def test_edit_errors_keep_the_template_unchanged(client, org, parties, template):
    business, customer = parties
    log_in(client, org)
    data = recurring_post(business, customer, frequency="weekly", day_of_month="", start_date="", max_catch_up="99")
    response = client.post(org_url("recurring_edit", org, template_id=template.pk), data)
    assert response.status_code == 400
    assert response.context["form"].errors["max_catch_up"] == ["Ensure this value is less than or equal to 24."]
    with organization_scope(org):
        template.refresh_from_db()
    assert template.max_catch_up == 3 and lines_of(org, template) == [("Cleaning", "3", "40", "S")]


def test_delete_removes_the_template_and_keeps_its_invoices(client, org, template):
    services.run_due_recurring_invoices(now=datetime(2026, 1, 26, 11, tzinfo=UTC))
    log_in(client, org, Role.MEMBER)
    response = client.post(org_url("recurring_delete", org, template_id=template.pk), follow=True)
    assert "Recurring invoice “Weekly cleaning” deleted; its invoices stay." in response.content.decode()
    assert templates(org) == []
    with organization_scope(org):
        assert Invoice.objects.filter(organization=org).count() == 1
        assert not RecurringRun.objects.filter(organization=org).exists()
        assert AuditEntry.objects.filter(organization=org, action="recurring_invoice.deleted").count() == 1


# --- make recurring from an invoice ---------------------------------------------------------


def test_make_recurring_starts_from_the_invoice(client, org, parties):
    business, customer = parties
    invoice = make_invoice(
        organization=org, business=business, customer=customer, status="issued", issue_date="2026-01-31", notes="N"
    )
    log_in(client, org)
    detail = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk)).content.decode()
    link = org_url("recurring_create", org) + f"?invoice={invoice.pk}"
    assert f'href="{link}"' in detail
    response = client.get(link)
    initial = response.context["form"].initial
    assert initial["customer"] == str(customer.pk) and initial["notes"] == "N"
    # Monthly on the 31st (the last day where a month is shorter), from the month after the invoice.
    assert (initial["start_date"], initial["day_of_month"]) == (date(2026, 2, 28), "31")
    assert [row.values["description"] for row in response.context["rows"]] == ["Design work", "Hosting"]


def test_make_recurring_ignores_another_organizations_invoice(client, org, parties, other_org):
    foreign = make_invoice(organization=other_org, notes="Secret notes of the other organization")
    log_in(client, org)
    response = client.get(org_url("recurring_create", org) + f"?invoice={foreign.pk}")
    assert response.status_code == 200
    assert "Secret notes" not in response.content.decode() and "Design work" not in response.content.decode()


# --- who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_buttons_show_for_writers_only(client, org, template, role):
    log_in(client, org, role)
    listing = client.get(org_url("recurring_list", org)).content.decode()
    detail = client.get(org_url("recurring_detail", org, template_id=template.pk)).content.decode()
    writer = role in WRITERS
    assert ("New recurring invoice" in listing) is writer
    assert (org_url("recurring_edit", org, template_id=template.pk) in detail) is writer
    assert ("Delete recurring invoice" in detail) is writer


def test_viewers_cannot_create_edit_or_delete(client, org, parties, template):
    business, customer = parties
    log_in(client, org, Role.VIEWER)
    data = recurring_post(business, customer)
    for name, kwargs in (
        ("recurring_create", {}),
        ("recurring_schedule", {}),
        ("recurring_edit", {"template_id": template.pk}),
        ("recurring_schedule_edit", {"template_id": template.pk}),
        ("recurring_delete", {"template_id": template.pk}),
    ):
        assert client.post(org_url(name, org, **kwargs), data).status_code == 403, name
    assert client.get(org_url("recurring_create", org)).status_code == 403
    assert [t.name for t in templates(org)] == ["Weekly cleaning"]


def test_outsiders_get_404(client, org, parties, template):
    business, customer = parties
    log_in_outsider(client)
    data = recurring_post(business, customer)
    assert client.get(org_url("recurring_create", org)).status_code == 404
    assert client.get(org_url("recurring_edit", org, template_id=template.pk)).status_code == 404
    for name, kwargs in (
        ("recurring_create", {}),
        ("recurring_schedule", {}),
        ("recurring_edit", {"template_id": template.pk}),
        ("recurring_delete", {"template_id": template.pk}),
    ):
        assert client.post(org_url(name, org, **kwargs), data).status_code == 404, name
    assert [t.name for t in templates(org)] == ["Weekly cleaning"]


def test_another_organizations_template_and_parties_are_404_or_refused(client, org, parties, template, other_org):
    log_in(client, other_org)
    for name in ("recurring_edit", "recurring_schedule_edit", "recurring_delete"):
        assert client.post(org_url(name, other_org, template_id=template.pk), {}).status_code == 404, name
    assert client.get(org_url("recurring_edit", other_org, template_id=template.pk)).status_code == 404
    business, customer = parties  # ``org``'s, posted to ``other_org``'s form
    BusinessFactory(organization=other_org)
    response = client.post(org_url("recurring_create", other_org), recurring_post(business, customer))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["business"] == ["Object does not exist."] and errors["customer"] == ["Object does not exist."]
    assert templates(other_org) == [] and [t.name for t in templates(org)] == ["Weekly cleaning"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", ["Nouvelle facture récurrente", "Prochaines factures", "mar. 20 janv. 2026", "Jamais le week-end"]),
        ("de", ["Neue wiederkehrende Rechnung", "Nächste Rechnungen", "Di., 20. Jan. 2026", "Nie am Wochenende"]),
    ],
)
def test_the_form_and_its_run_dates_are_in_the_browsers_language(client, org, parties, language, expected):
    log_in(client, org)
    page = client.get(org_url("recurring_create", org), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for text in expected:
        assert text in page, (language, text)
