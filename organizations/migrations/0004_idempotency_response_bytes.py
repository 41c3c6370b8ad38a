"""Idempotency keys store the response as the bytes first sent (and its content type) instead
of a JSON column, which PostgreSQL's jsonb gave back with its keys in another order."""

import json

from django.db import migrations, models


def copy_bodies(apps, schema_editor):
    IdempotencyKey = apps.get_model("organizations", "IdempotencyKey")
    for row in IdempotencyKey.objects.exclude(response_body=None).only("pk", "response_body").iterator():
        content = json.dumps(row.response_body, ensure_ascii=False, separators=(",", ":")).encode()
        IdempotencyKey.objects.filter(pk=row.pk).update(
            response_content=content, response_content_type="application/json"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0003_require_two_factor"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencykey",
            name="response_content",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="idempotencykey",
            name="response_content_type",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.RunPython(copy_bodies, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(
            model_name="idempotencykey",
            name="response_body",
        ),
    ]
