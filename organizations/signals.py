"""Signals other apps react to. organizations sits below documents, so it never imports it:
the invite email is queued by ``documents.receivers`` listening to ``invite_created``."""

from django.dispatch import Signal

# Sent INSIDE the invite_create transaction (so the outbox row commits or rolls back with the
# invite), with keyword arguments: organization, invite, accept_url, actor.
invite_created = Signal()
