from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "medoffice.core"
    label = "core"
    verbose_name = "Practice and users"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from medoffice.core.roles import sync_roles

        post_migrate.connect(sync_roles, sender=self)
