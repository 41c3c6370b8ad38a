"""Value formats shared by the apps' presenters (what DRF's fields would write)."""

from django.utils import timezone


def timestamp(value, tz=None) -> str | None:
    """A datetime as DRF renders it: ISO 8601 in the current time zone, "Z" for UTC. ``tz``:
    the current time zone, when the caller already has it (once per response)."""
    if value is None:
        return None
    tz = tz or timezone.get_current_timezone()
    if timezone.is_naive(value):
        value = timezone.make_aware(value, tz)
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
