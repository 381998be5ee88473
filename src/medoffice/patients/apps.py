from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "medoffice.patients"
    label = "patients"
    verbose_name = "Patients and insurance"
