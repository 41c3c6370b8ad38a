from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from organizations import activity, rls

        activity.register()  # how the organizations' audit entries read on the activity page
        rls.connect_signals()  # the tenant scope reaches PostgreSQL's row-level security
