from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported once the models are ready: the receivers connect to billing's and
        # organizations' signals, and the tasks register in Celery's registry, where the
        # services enqueue them by name (documents.jobs).
        from billing.hooks import register_invoice_sender, register_reminder_preview, register_reminder_sender
        from documents import api, invite_email, invoice_email, receivers, reminder_email, statements, tasks  # noqa: F401
        from documents.services import invoice_send

        invoice_email.register()  # the invoice kind of the outbox (PDF attachment, mark sent)
        invite_email.register()  # the invite kind (its link kept out of the stored copy)
        statements.register()  # the statement kind (its PDF rendered when sent)
        api.register()  # the ``document`` field of billing's invoice representation
        register_invoice_sender(invoice_send)  # recurring invoices in "issue and send" mode
        reminder_email.register()  # the payment reminder kind (PDF attached, checked at send time)
        register_reminder_sender(reminder_email.reminder_email, reminder_email.reminder_emails_queue)  # reminders
        register_reminder_preview(reminder_email.reminder_preview)  # their preview in the settings
