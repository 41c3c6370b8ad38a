"""A worker sending an outbox row holds a lease on it (``sending_until``); a row left
``sending`` by a dead worker is reclaimed once the lease has passed."""

from datetime import timedelta

from django.db import migrations, models

# What a row left ``sending`` used to wait before it could be claimed again.
STALE_SENDING_AFTER = timedelta(minutes=10)


def lease_rows_being_sent(apps, schema_editor):
    OutboundEmail = apps.get_model("documents", "OutboundEmail")
    for pk, updated_at in OutboundEmail.objects.filter(status="sending").values_list("pk", "updated_at").iterator():
        OutboundEmail.objects.filter(pk=pk).update(sending_until=updated_at + STALE_SENDING_AFTER)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="sending_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(lease_rows_being_sent, migrations.RunPython.noop, elidable=True),
    ]
