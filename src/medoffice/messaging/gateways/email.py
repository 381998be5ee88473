"""Email through Django's mail backends (SMTP in an office: ``MEDOFFICE_EMAIL_BACKEND`` and
``EMAIL_HOST``/``EMAIL_PORT``). The idempotency key becomes the Message-ID, which is also the
id the log keeps."""

from __future__ import annotations

import smtplib

from django.core.mail import EmailMessage, get_connection

from medoffice.messaging import conf
from medoffice.messaging.gateways import Outgoing, PermanentFailure, SendResult, TemporaryFailure
from medoffice.messaging.templating import EMAIL


class EmailGateway:
    channel = EMAIL

    def __init__(self, *, from_address: str):
        self.from_address = from_address

    def send(self, message: Outgoing) -> SendResult:
        message_id = f"<{message.idempotency_key}@medoffice.reminders>"
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=self.from_address,
            to=[message.to],
            headers={"Message-ID": message_id},
            connection=get_connection(fail_silently=False, **conf.email_connection_options()),
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()), (550, b"refused"))
            text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
            if 400 <= int(code) < 500:
                raise TemporaryFailure(f"mail server deferred {message.to}: {code} {text}") from exc
            raise PermanentFailure(
                f"mail server refused {message.to}: {code} {text}", code=str(code), unreachable=True
            ) from exc
        except smtplib.SMTPResponseException as exc:
            text = (
                exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
            )
            if 400 <= exc.smtp_code < 500:
                raise TemporaryFailure(f"mail server: {exc.smtp_code} {text}") from exc
            raise PermanentFailure(
                f"mail server: {exc.smtp_code} {text}", code=str(exc.smtp_code)
            ) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"mail server unreachable: {exc}") from exc
        return SendResult(provider_message_id=message_id, status="sent")
