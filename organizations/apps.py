from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from organizations import activity

        activity.register()  # how the organizations' audit entries read on the activity page
