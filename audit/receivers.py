"""Signal receivers that feed the security log, connected in ``AuditConfig.ready``.

Django's own auth signals cover every login path (allauth and the admin both go through
``django.contrib.auth.login``/``authenticate``); allauth's signals cover the credential
changes made through its pages.
"""

from allauth.account import signals as account_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from accounts.models import User, normalize_email_address
from audit.models import SecurityEvent
from audit.security import record_security_event

Event = SecurityEvent.Event


@receiver(auth_signals.user_logged_in, dispatch_uid="audit.login_succeeded")
def login_succeeded(sender, request, user, **kwargs):
    record_security_event(event=Event.LOGIN_SUCCEEDED, user=user, request=request)


@receiver(auth_signals.user_login_failed, dispatch_uid="audit.login_failed")
def login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in ``credentials``; only the login is kept.
    email = normalize_email_address(str(credentials.get("email") or credentials.get("username") or ""))
    user = User.objects.filter(email=email).first() if email else None
    record_security_event(event=Event.LOGIN_FAILED, user=user, email=email, request=request)


@receiver(auth_signals.user_logged_out, dispatch_uid="audit.logged_out")
def logged_out(sender, request, user, **kwargs):
    if user is not None:
        record_security_event(event=Event.LOGGED_OUT, user=user, request=request)


@receiver(account_signals.password_changed, dispatch_uid="audit.password_changed")
def password_changed(sender, request, user, **kwargs):
    record_security_event(event=Event.PASSWORD_CHANGED, user=user, request=request)


@receiver(account_signals.password_set, dispatch_uid="audit.password_set")
def password_set(sender, request, user, **kwargs):
    record_security_event(event=Event.PASSWORD_SET, user=user, request=request)


@receiver(account_signals.password_reset, dispatch_uid="audit.password_reset")
def password_reset(sender, request, user, **kwargs):
    record_security_event(event=Event.PASSWORD_RESET, user=user, request=request)


@receiver(account_signals.email_changed, dispatch_uid="audit.email_changed")
def email_changed(sender, request, user, from_email_address=None, to_email_address=None, **kwargs):
    old = from_email_address.email if from_email_address else ""
    new = to_email_address.email if to_email_address else ""
    record_security_event(
        event=Event.EMAIL_CHANGED, user=user, email=new, request=request, detail={"email": [old, new]}
    )


@receiver(account_signals.email_added, dispatch_uid="audit.email_added")
def email_added(sender, request, user, email_address, **kwargs):
    record_security_event(event=Event.EMAIL_ADDED, user=user, email=email_address.email, request=request)


@receiver(account_signals.email_removed, dispatch_uid="audit.email_removed")
def email_removed(sender, request, user, email_address, **kwargs):
    record_security_event(event=Event.EMAIL_REMOVED, user=user, email=email_address.email, request=request)
