"""Credit notes' documents in the versioned pipeline (one table of their own, the shape of
invoice documents), and the e-invoice files of every stored version. Invoice documents stored
before have no e-invoices yet (null): the pipeline renders them when first asked for. The new
tenant table gets the row-level security policy every tenant table has."""

import django.db.models.deletion
import documents.models
import uuid
from django.db import migrations, models

from organizations.rls import drop_policy_sql, policy_sql

NEW_TENANT_TABLE = "documents_creditnotedocument"


def _on_postgresql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement(NEW_TENANT_TABLE), params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0011_credit_notes_refunds'),
        ('documents', '0006_statement_emails'),
        ('organizations', '0005_row_level_security'),
    ]

    operations = [
        migrations.AddField(
            model_name='invoicedocument',
            name='einvoices',
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name='CreditNoteDocument',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('sha256', models.CharField(blank=True, max_length=64)),
                ('size', models.PositiveIntegerField(default=0)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('ready', 'Ready'), ('failed', 'Failed')], default='pending', max_length=10)),
                ('error', models.TextField(blank=True)),
                ('rendered_at', models.DateTimeField(blank=True, null=True)),
                ('facturx', models.BooleanField(default=False)),
                ('einvoices', models.JSONField(blank=True, null=True)),
                ('credit_note_version', models.PositiveIntegerField()),
                ('file', models.FileField(blank=True, upload_to=documents.models.credit_note_document_upload_to)),
                ('credit_note', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='documents', to='billing.creditnote')),
                ('organization', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='organizations.organization')),
            ],
            options={
                'ordering': ['-credit_note_version'],
                'indexes': [models.Index(fields=['organization', 'credit_note', '-credit_note_version'], name='cn_document_org_note'), models.Index(fields=['status', 'created_at'], name='cn_document_status_created')],
                'constraints': [models.UniqueConstraint(fields=('credit_note', 'credit_note_version'), name='credit_note_document_unique_version')],
            },
        ),
        migrations.RunPython(_on_postgresql(policy_sql), _on_postgresql(drop_policy_sql)),
    ]
