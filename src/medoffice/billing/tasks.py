"""Billing's background work, run by ``medoffice worker``.

- ``send_batch_task``: deliver one 837P batch (outbox or SFTP). A failed send is
  recorded on the batch and tried again twice, one and then two minutes later.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from medoffice.core.tasks import retrying_task


@retrying_task(max_attempts=3, backoff_seconds=60)
def send_batch_task(batch_id: int, user_id: int | None = None) -> dict:
    from medoffice.billing.models import ClaimBatch
    from medoffice.billing.services.submission import send_batch

    batch = ClaimBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return {"batch": batch_id, "sent": False, "error": "no such batch"}
    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    batch = send_batch(batch=batch, actor=actor)
    return {"batch": batch_id, "sent": True, "destination": batch.destination}
