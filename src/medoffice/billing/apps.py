from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "medoffice.billing"
    label = "billing"
    verbose_name = "Charges, claims and getting paid"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from medoffice.billing.scrub_rules import sync_scrub_rules

        post_migrate.connect(sync_scrub_rules, sender=self, dispatch_uid="billing-scrub-rules")
