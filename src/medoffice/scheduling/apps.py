from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "medoffice.scheduling"
    label = "scheduling"
    verbose_name = "Schedule and patient flow"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from medoffice.core.roles import sync_roles

        # core syncs the roles after its own migrations, before this app's permissions
        # exist on a fresh database; sync again once they do, so every role holds its
        # scheduling.* permissions from the first migrate on.
        post_migrate.connect(sync_roles, sender=self, dispatch_uid="scheduling-sync-roles")
