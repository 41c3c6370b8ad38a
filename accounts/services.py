"""Writes about a person's own account (not tenant data, so no organization audit entry)."""

from accounts.models import new_session_salt


def user_end_all_sessions(*, user) -> None:
    """Log the person out everywhere: every existing session's auth hash stops matching and
    Django drops it on its next request, whatever the session backend."""
    user.session_salt = new_session_salt()
    user.save(update_fields=["session_salt"])
