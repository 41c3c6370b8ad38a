"""The main navigation on a phone (375 px): a menu button that opens and closes it, by mouse
and by keyboard, with its state in ``aria-expanded``; on a desktop the links show as they are."""

import pytest
from playwright.sync_api import expect

from organizations.permissions import Role
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.e2e.axe import assert_accessible
from tests.organizations.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base, user):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_on_a_phone_the_navigation_is_behind_a_menu_button(phone_page, live_server):
    page = phone_page
    organization = OrganizationFactory(name="Pocket Co")
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    log_in(page, live_server.url, owner)

    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_have_attribute("aria-controls", "mainnav")
    expect(nav).to_be_hidden()

    # Keyboard: focus the button, Enter opens the menu; the links stack and fit the screen.
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    links = nav.get_by_role("link")
    expect(links.first).to_be_visible()
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, f"link {index} is cut off: {box}"
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert_accessible(page, "phone menu open")
    page.shot("phone-menu-open")

    # Escape closes it and gives the focus back to the button; Space opens it again.
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    assert page.evaluate("document.activeElement.getAttribute('aria-controls')") == "mainnav"
    page.keyboard.press("Space")
    expect(nav).to_be_visible()

    # A link in the open menu works; the next page starts with the menu closed.
    nav.get_by_role("link", name="Invoices").click()
    expect(page.get_by_role("heading", name="Invoices", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()


def test_on_a_desktop_the_links_show_without_a_menu_button(page, live_server):
    organization = OrganizationFactory(name="Desk Co")
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    log_in(page, live_server.url, owner)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices")).to_be_visible()
