from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from documents import api, invoice_email, receivers  # noqa: F401 - connects the signal receivers

        invoice_email.register()  # the invoice kind of the outbox (PDF attachment, mark sent)
        api.register()  # the ``document`` field of billing's invoice representation
