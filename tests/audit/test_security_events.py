"""Sign-in and credential events go to the security log, through the real allauth flows."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from audit.models import AppendOnlyError, SecurityEvent
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

Event = SecurityEvent.Event
NEW_PASSWORD = "another long passphrase 77"
HEADERS = {"HTTP_USER_AGENT": "pytest-browser", "HTTP_X_REQUEST_ID": "req-sec-1", "REMOTE_ADDR": "198.51.100.9"}


def events(event=None):
    qs = SecurityEvent.objects.order_by("created_at", "pk")
    if event:
        qs = qs.filter(event=event)
    return list(qs)


def log_in(client, email, password=DEFAULT_PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **HEADERS)


def test_successful_login_is_recorded_with_request_context(client):
    user = UserFactory()

    response = log_in(client, user.email)

    assert response.status_code == 302
    [event] = events(Event.LOGIN_SUCCEEDED)
    assert (event.user, event.email) == (user, user.email)
    assert (event.ip, event.user_agent, event.request_id) == ("198.51.100.9", "pytest-browser", "req-sec-1")


def test_failed_login_records_the_attempted_email_and_never_the_password(client):
    user = UserFactory()

    response = log_in(client, user.email.upper(), password="wrong password 123")

    assert response.status_code == 200  # the form again, with its error
    [event] = events(Event.LOGIN_FAILED)
    assert (event.user, event.email) == (user, user.email)
    assert event.request_id == "req-sec-1"
    assert "wrong password" not in str(event.detail)
    assert events(Event.LOGIN_SUCCEEDED) == []


def test_failed_login_for_an_unknown_address_has_no_user(client):
    log_in(client, "nobody@example.com", password="whatever it is 123")
    [event] = events(Event.LOGIN_FAILED)
    assert (event.user, event.email) == (None, "nobody@example.com")


def test_logout_is_recorded(client):
    user = UserFactory()
    log_in(client, user.email)
    client.post(reverse("account_logout"), **HEADERS)
    [event] = events(Event.LOGGED_OUT)
    assert event.user == user


def test_password_change_is_recorded(client):
    user = UserFactory()
    log_in(client, user.email)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        **HEADERS,
    )

    assert response.status_code == 302
    [event] = events(Event.PASSWORD_CHANGED)
    assert event.user == user
    assert event.request_id == "req-sec-1"


def test_password_reset_is_recorded(client):
    user = UserFactory()
    client.post(reverse("account_reset_password"), {"email": user.email}, **HEADERS)
    [message] = mail.outbox
    reset_path = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body).group(1)

    set_password_page = client.get(reset_path, **HEADERS)
    response = client.post(
        set_password_page["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, **HEADERS
    )

    assert response.status_code == 302
    [event] = events(Event.PASSWORD_RESET)
    assert event.user == user
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_email_change_is_recorded_with_old_and_new_address(client):
    user = UserFactory(email="old@example.com")
    log_in(client, user.email)

    # Changing an email asks for the password again first.
    client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD}, **HEADERS)
    client.post(reverse("account_email"), {"action_add": "", "email": "new@example.com"}, **HEADERS)
    # The change happens only once the new address is confirmed (ACCOUNT_CHANGE_EMAIL).
    assert events(Event.EMAIL_CHANGED) == []
    confirm_path = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    client.post(confirm_path, **HEADERS)

    [added] = events(Event.EMAIL_ADDED)
    assert (added.user, added.email) == (user, "new@example.com")
    [changed] = events(Event.EMAIL_CHANGED)
    assert (changed.user, changed.email) == (user, "new@example.com")
    assert changed.detail == {"email": ["old@example.com", "new@example.com"]}
    assert changed.request_id == "req-sec-1"


def test_security_events_are_append_only(client):
    user = UserFactory()
    log_in(client, user.email)
    [event] = events(Event.LOGIN_SUCCEEDED)
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_a_failing_security_log_never_breaks_the_login(client, monkeypatch):
    user = UserFactory()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(SecurityEvent.objects, "create", broken)
    response = log_in(client, user.email)

    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert connection.needs_rollback is False


def test_a_person_sees_only_their_own_security_events(client):
    from audit.selectors import security_events_for_user

    user, other = UserFactory(), UserFactory()
    log_in(client, other.email)
    client.logout()  # a signed-in person is not shown the login form again
    log_in(client, user.email, password="wrong password 123")
    log_in(client, user.email)

    assert [e.event for e in security_events_for_user(user=user)] == [Event.LOGIN_SUCCEEDED, Event.LOGIN_FAILED]
    assert [e.event for e in security_events_for_user(user=user, limit=1)] == [Event.LOGIN_SUCCEEDED]
