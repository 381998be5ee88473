from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "medoffice.patients"
    label = "patients"
    verbose_name = "Patients and insurance"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from medoffice.core.roles import sync_roles

        # core syncs the roles after its own migrations, before this app's permissions
        # exist on a fresh database; sync again once they do, so the front desk, billers
        # and the rest hold their patients.* permissions from the first migrate on.
        post_migrate.connect(sync_roles, sender=self, dispatch_uid="patients-sync-roles")
