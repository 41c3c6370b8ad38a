"""Invite emails sent before their stored copy lost the link once sent: take the link (the
invite itself) out of those rows now. The queued ones keep it: their worker still needs it."""

import re

from django.db import migrations

# The accept URL, whatever the site URL was when the email was written (the app's path).
INVITE_LINK = re.compile(r"\S*/invites/[A-Za-z0-9_-]{16,}/?")
REDACTED = "[removed once sent]"  # documents.outbox.REDACTED when this was written


def redact_sent_invite_links(apps, schema_editor):
    OutboundEmail = apps.get_model("documents", "OutboundEmail")
    sent = OutboundEmail.objects.filter(kind="invite", status="sent", body__contains="/invites/")
    for pk, body in sent.values_list("pk", "body").iterator():
        OutboundEmail.objects.filter(pk=pk).update(body=INVITE_LINK.sub(REDACTED, body))


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0002_outbound_email_sending_lease"),
    ]

    operations = [
        migrations.RunPython(redact_sent_invite_links, migrations.RunPython.noop, elidable=True),
    ]
