"""medoffice messaging: start the reminder clock, or plan and send now (for cron and checks)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Reminders and patient messages. 'start' books the messaging clock's first round for "
        "the worker (planning reminders and sending what is due every minute); 'plan' queues "
        "the reminders due on booked visits now; 'send' sends every due message now."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "plan", "send"])

    def handle(self, *args, action, **options):
        from medoffice.messaging.services.reminders import plan_reminders
        from medoffice.messaging.services.sending import send_due_messages
        from medoffice.messaging.tasks import ensure_messaging_clock

        if action == "start":
            booked = ensure_messaging_clock()
            self.stdout.write(
                "The messaging clock is booked; a running worker picks it up."
                if booked
                else "The messaging clock is already running."
            )
        elif action == "plan":
            report = plan_reminders()
            self.stdout.write(
                f"queued {report.queued}, cancelled {report.cancelled}, "
                f"no channel {report.no_channel}, too late {report.too_late}"
            )
        else:
            report = send_due_messages()
            self.stdout.write(", ".join(f"{k} {v}" for k, v in report.as_dict().items()))
