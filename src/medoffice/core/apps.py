from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "medoffice.core"
    label = "core"
    verbose_name = "Practice and users"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from medoffice.core.roles import sync_roles

        # After every app's migrations, not only core's: an app's permissions exist only
        # once its own post_migrate has created them, so the roles are synced again each
        # time (idempotent, a few queries) and every role holds every app's permissions
        # from the first migrate on, whatever app comes last.
        post_migrate.connect(sync_roles, dispatch_uid="medoffice-sync-roles")
