"""A recurring invoice made in the browser: from the list's button, a monthly schedule on the
last day of the month, two lines typed in the invoice's line editor, the next run dates shown
as the schedule is typed, then saved and shown on its page (and both pages pass axe)."""

from datetime import date

import pytest
from babel.dates import format_skeleton
from playwright.sync_api import expect

from billing.models import RecurringInvoice
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.e2e.axe import assert_accessible
from tests.e2e.test_invoicing_journey import fill_line
from tests.organizations.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shown(day: date) -> str:
    return format_skeleton("yMMMEd", day, locale="en_US")  # as the page writes it: "Sun, Jan 31, 2027"


def test_a_monthly_recurring_invoice_with_two_lines_and_its_next_run_dates(page, live_server):
    organization = OrganizationFactory(name="Retainers Ltd", default_currency="EUR", time_zone="Europe/Berlin")
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    BusinessFactory(organization=organization, default_currency="EUR")
    customer = CustomerFactory(organization=organization, name="Monthly Client")
    base, slug = live_server.url, organization.slug
    # Always in the future: January next year, on the last day of each month.
    year = date.today().year + 1
    expected = [date(year, 1, 31), date(year, 2, 29 if year % 4 == 0 else 28), date(year, 3, 31), date(year, 4, 30)]

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", owner.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.goto(f"{base}/o/{slug}/recurring/")
    page.get_by_role("link", name="New recurring invoice").first.click()
    expect(page.get_by_role("heading", name="New recurring invoice")).to_be_visible()
    expect(page.get_by_test_id("run-date")).to_have_count(5)  # from today, before anything is typed
    assert_accessible(page, "recurring invoice form")

    page.fill("#id_name", "Monthly retainer")
    page.select_option("#id_customer", str(customer.pk))
    expect(page.locator("#id_frequency")).to_have_value("monthly")
    page.select_option("#id_day_of_month", "last")
    page.fill("#id_start_date", f"{year}-01-31")
    run_dates = page.get_by_test_id("run-date")
    expect(run_dates.first).to_have_text(shown(expected[0]))
    for index, day in enumerate(expected):
        expect(run_dates.nth(index)).to_have_text(shown(day))
    page.shot("schedule")

    fill_line(page, 0, "Retainer", "1", "1500", "19")
    expect(page.get_by_test_id("item-row")).to_have_count(2)  # typing a description adds a line
    fill_line(page, 1, "Hosting", "2", "24.50", "19")
    expect(page.get_by_test_id("total")).to_have_text("€1,843.31")
    page.shot("lines")

    page.get_by_role("button", name="Save recurring invoice").click()
    expect(page.get_by_role("heading", name="Monthly retainer")).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("Recurring invoice created.")
    expect(main).to_contain_text("Monthly, on the last day of the month")
    for description in ("Retainer", "Hosting"):
        expect(main.get_by_role("cell", name=description)).to_be_visible()
    expect(page.get_by_test_id("run-date").first).to_have_text(shown(expected[0]))
    expect(page.get_by_test_id("run-date")).to_have_count(5)
    assert_accessible(page, "recurring invoice page")

    with organization_scope(organization):
        (template,) = RecurringInvoice.objects.filter(organization=organization)
        assert [line.description for line in template.lines.order_by("position")] == ["Retainer", "Hosting"]
        assert (template.frequency, template.day_of_month, template.start_date) == ("monthly", 0, expected[0])
        assert template.next_run_date == expected[0]
