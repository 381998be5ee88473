from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "medoffice.messaging"
    label = "messaging"
    verbose_name = "Reminders and patient messages"
