"""Sending a batch's 837P file: into the outbox folder, or to the clearinghouse over SFTP.

``send_batch`` delivers the batch's kept text byte for byte and records the
attempt on the batch (when, by whom, where, how many tries, the last error).
A failed send changes no claim: they stay submitted, and the batches page
shows "not delivered: <reason>" until a send succeeds. ``queue_send`` hands
the send to the worker (:mod:`medoffice.billing.tasks`), which retries.

Both ways are atomic for the reader at the other end: the file is written
under a temporary name and renamed into place, so nobody picks up half a
file. Over SFTP the server's host key must match the fingerprint in the
submission settings; an unknown key is refused before any password is sent
(the key is checked before authentication).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import os
import posixpath
import uuid
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from medoffice.billing.errors import DomainError
from medoffice.billing.models import ClaimBatch, SubmissionSettings
from medoffice.billing.services.x837 import NOT_READY

NOT_DELIVERED = "not_delivered"
TIMEOUT_SECONDS = 30


class DeliveryError(DomainError):
    """The file did not reach its destination; ``message`` says why in the office's words."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(NOT_DELIVERED, message, field, status=409)


def submission_settings() -> SubmissionSettings:
    found = SubmissionSettings.objects.order_by("pk").first()
    if found is None:
        raise DomainError(
            NOT_READY,
            "Enter the clearinghouse's details (submission settings) before sending a batch.",
            None,
            status=409,
        )
    return found


def destination_of(settings: SubmissionSettings) -> str:
    """Where a batch goes, as the batches page shows it (no secrets)."""
    if settings.delivery == SubmissionSettings.SFTP:
        folder = settings.sftp_directory.strip() or "~"
        return f"sftp://{settings.sftp_username}@{settings.sftp_host}:{settings.sftp_port}/{folder}"
    return str(settings.outbox_folder())


# -- the outbox ---------------------------------------------------------------------------


def write_to_outbox(settings: SubmissionSettings, name: str, data: bytes) -> str:
    """Write ``data`` as ``name`` in the outbox (temporary name, fsync, rename); its path."""
    folder = settings.outbox_folder()
    if not settings.outbox_path.strip():
        folder.mkdir(parents=True, exist_ok=True)
    if not folder.is_dir():
        raise DeliveryError(f"the outbox folder {folder} does not exist", "outbox_path")
    final = folder / name
    temporary = folder / f".{name}.{uuid.uuid4().hex}.part"
    try:
        with temporary.open("xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, final)
        _sync_folder(folder)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise DeliveryError(
            f"cannot write to the outbox folder {folder}: {exc.strerror or exc}", "outbox_path"
        ) from exc
    return str(final)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the system allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- SFTP ---------------------------------------------------------------------------------


def _run(coroutine):
    """Run a coroutine from synchronous code (in a thread of its own if a loop is running)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def upload_by_sftp(settings: SubmissionSettings, name: str, data: bytes) -> str:
    """Upload ``data`` as ``name`` into the remote folder; the address it went to."""
    import asyncssh

    problems = []
    if not settings.sftp_host.strip():
        problems.append(("sftp_host", "Enter the SFTP host."))
    if not settings.sftp_username.strip():
        problems.append(("sftp_username", "Enter the SFTP user name."))
    if not settings.sftp_password and not settings.sftp_private_key.strip():
        problems.append(("sftp_password", "Enter the SFTP password or a private key."))
    if problems:
        field, message = problems[0]
        raise DeliveryError(message, field)
    key = None
    if settings.sftp_private_key.strip():
        try:
            key = asyncssh.import_private_key(settings.sftp_private_key.strip())
        except (asyncssh.KeyImportError, ValueError) as exc:
            raise DeliveryError(
                f"the SFTP private key cannot be read ({exc}); paste an unencrypted OpenSSH or "
                "PEM private key",
                "sftp_private_key",
            ) from None
    try:
        return _run(_upload(settings, key, name, data))
    except DeliveryError:
        raise
    except Exception as exc:  # anything the network or server throws, in words
        raise DeliveryError(_sftp_problem(settings, exc)) from exc


def _sftp_problem(settings: SubmissionSettings, exc: Exception) -> str:
    import asyncssh

    where = f"{settings.sftp_host}:{settings.sftp_port}"
    if isinstance(exc, asyncssh.PermissionDenied):
        return (
            f"the SFTP server at {where} refused the login: check the user name, "
            "password or private key"
        )
    if isinstance(exc, asyncssh.SFTPError):
        return f"the SFTP server at {where} refused the upload: {exc.reason}"
    if isinstance(exc, asyncssh.Error):
        return f"the SFTP connection to {where} failed: {exc.reason}"
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return f"no answer from the SFTP server at {where} within {TIMEOUT_SECONDS} seconds"
    if isinstance(exc, OSError):
        return f"cannot reach the SFTP server at {where}: {exc.strerror or exc}"
    return f"the SFTP upload to {where} failed: {exc}"


def _pinned_client_class():
    import asyncssh

    class PinnedHostKey(asyncssh.SSHClient):
        """Trusts exactly one host key: the one whose SHA256 fingerprint the office entered."""

        def __init__(self, expected: str):
            self.expected = expected.strip()
            self.seen = ""

        def validate_host_public_key(self, host, addr, port, key) -> bool:
            self.seen = key.get_fingerprint("sha256")
            return bool(self.expected) and hmac.compare_digest(self.seen, self.expected)

    return PinnedHostKey


async def _upload(settings: SubmissionSettings, key, name: str, data: bytes) -> str:
    import asyncssh

    client = _pinned_client_class()(settings.sftp_host_key_fingerprint)
    where = f"{settings.sftp_host}:{settings.sftp_port}"
    try:
        connection = await asyncssh.connect(
            settings.sftp_host.strip(),
            settings.sftp_port,
            client_factory=lambda: client,
            username=settings.sftp_username.strip(),
            password=settings.sftp_password or None,
            client_keys=[key] if key is not None else None,
            known_hosts=([], [], []),  # nothing trusted but the pinned key (the client's check)
            agent_path=None,
            config=None,
            preferred_auth=("publickey", "password") if key is not None else ("password",),
            connect_timeout=TIMEOUT_SECONDS,
            login_timeout=TIMEOUT_SECONDS,
        )
    except asyncssh.HostKeyNotVerifiable:
        if not client.expected:
            raise DeliveryError(
                f"no host key fingerprint is set for the SFTP server at {where}; it presents "
                f"{client.seen or 'an unreadable key'}. Check that fingerprint with the "
                "clearinghouse, then enter it in the submission settings",
                "sftp_host_key_fingerprint",
            ) from None
        raise DeliveryError(
            f"the SFTP server at {where} presents the host key {client.seen or 'an unreadable key'}"
            f", not the one entered ({client.expected}); nothing was sent. If the clearinghouse "
            "changed its key, confirm the new fingerprint with them first",
            "sftp_host_key_fingerprint",
        ) from None
    async with connection, connection.start_sftp_client() as sftp:
        folder = settings.sftp_directory.strip()
        final = posixpath.join(folder, name) if folder else name
        temporary = posixpath.join(folder, f".{name}.part") if folder else f".{name}.part"
        async with sftp.open(temporary, "wb") as remote:
            await remote.write(data)
        try:
            await sftp.posix_rename(temporary, final)
        except asyncssh.SFTPOpUnsupported:
            if await sftp.exists(final):
                await sftp.remove(final)
            await sftp.rename(temporary, final)
        return f"sftp://{settings.sftp_username.strip()}@{where}/{final}"


# -- the service --------------------------------------------------------------------------


def deliver(settings: SubmissionSettings, name: str, data: bytes) -> str:
    if settings.delivery == SubmissionSettings.SFTP:
        return upload_by_sftp(settings, name, data)
    return write_to_outbox(settings, name, data)


def send_batch(*, batch: ClaimBatch, actor=None) -> ClaimBatch:
    """Deliver the batch's file now; record the attempt. DeliveryError when it did not arrive.

    No claim changes either way: they became submitted when the batch was made.
    """
    settings = submission_settings()
    attempted = timezone.now()
    try:
        destination = deliver(settings, batch.file_name, batch.text.encode("ascii"))
    except DeliveryError as exc:
        _record_attempt(batch.pk, attempted=attempted, error=exc.message)
        raise
    _record_attempt(batch.pk, attempted=attempted, actor=actor, destination=destination)
    batch.refresh_from_db()
    return batch


@transaction.atomic
def _record_attempt(pk: int, *, attempted, error: str = "", actor=None, destination=""):
    fields = {"send_attempts": F("send_attempts") + 1, "last_attempt_at": attempted}
    if error:
        fields["last_error"] = error[:500]
    else:
        fields.update(
            last_error="",
            sent_at=attempted,
            sent_by=actor,
            destination=destination[:600],
        )
    ClaimBatch.objects.filter(pk=pk).update(**fields)


def queue_send(*, batch: ClaimBatch, actor=None):
    """Hand the send to the worker (it retries a failed send twice, waiting longer each time)."""
    from medoffice.billing.tasks import send_batch_task

    submission_settings()  # refuse at once when there is nowhere to send
    ClaimBatch.objects.filter(pk=batch.pk).update(send_queued_at=timezone.now())
    return send_batch_task.enqueue(batch.pk, actor.pk if actor is not None else None)


def unsent_batches():
    """Batches never delivered (oldest first): the CLI's --all-unsent."""
    return ClaimBatch.objects.filter(sent_at__isnull=True).order_by("created_at", "pk")
