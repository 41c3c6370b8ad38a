"""The invite kind of the outbox: the link in an invite email is the invite itself (whoever
holds it may join), so the stored copy loses it once the email is sent, and support never
sees it, not even while the email waits to be sent. Registered from ``DocumentsConfig.ready``."""

import re

from documents.models import OutboundEmail
from documents.outbox import REDACTED, register_kind
from organizations.services import accept_url_for

MARKER = "TOKEN"


def _link_pattern() -> re.Pattern:
    # The accept URL with any token in it (the site URL is read now: settings may change).
    before, _marker, after = accept_url_for(MARKER).partition(MARKER)
    return re.compile(re.escape(before) + r"[^\s/]+" + re.escape(after))


def redact_invite_link(body: str) -> str:
    return _link_pattern().sub(REDACTED, body or "")


def register() -> None:
    register_kind(OutboundEmail.Kind.INVITE, redact=redact_invite_link)
