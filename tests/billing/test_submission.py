"""Sending 837P batches: into the outbox folder, and over SFTP to a real server started on
loopback (password and key logins, a pinned host key), the attempts recorded on the batch,
the background send with its retry, and who may send."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from types import SimpleNamespace

import asyncssh
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from medoffice.billing.models import Claim, ClaimBatch, SubmissionSettings
from medoffice.billing.services.batches import create_batch
from medoffice.billing.services.submission import DeliveryError, queue_send, send_batch
from medoffice.billing.tasks import send_batch_task
from medoffice.core.services.tokens import create_token
from tests.billing.test_batches import ready, submission  # noqa: F401 - fixtures

USER, PASSWORD = "riverside", "correct horse battery"


@pytest.fixture(scope="module")
def host_key():
    return asyncssh.generate_private_key("ssh-ed25519")


@pytest.fixture(scope="module")
def client_key():
    return asyncssh.generate_private_key("ssh-ed25519")


@pytest.fixture
def sftp_server(tmp_path, host_key, client_key):
    """An asyncssh SFTP server on 127.0.0.1 (random port) serving a temporary folder, in a
    thread of its own; it takes the password PASSWORD or ``client_key`` for USER."""
    root = tmp_path / "clearinghouse"
    (root / "inbound").mkdir(parents=True)
    logins: list[tuple[str, str]] = []

    class Server(asyncssh.SSHServer):
        def begin_auth(self, username):
            return True

        def password_auth_supported(self):
            return True

        def validate_password(self, username, password):
            logins.append((username, "password"))
            return username == USER and password == PASSWORD

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start():
        return await asyncssh.listen(
            "127.0.0.1",
            0,
            server_host_keys=[host_key],
            server_factory=Server,
            authorized_client_keys=asyncssh.import_authorized_keys(
                client_key.export_public_key().decode()
            ),
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root)),
        )

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield SimpleNamespace(
            port=server.get_port(),
            root=root,
            fingerprint=host_key.get_fingerprint("sha256"),
            logins=logins,
        )
    finally:

        async def stop():
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


@pytest.fixture
def batch(submission, ready, practice):  # noqa: F811
    ready()
    ready()
    return create_batch(actor=ready.biller)


def use_sftp(settings: SubmissionSettings, server, **fields) -> SubmissionSettings:
    values = {
        "delivery": SubmissionSettings.SFTP,
        "sftp_host": "127.0.0.1",
        "sftp_port": server.port,
        "sftp_username": USER,
        "sftp_password": PASSWORD,
        "sftp_directory": "inbound",
        "sftp_host_key_fingerprint": server.fingerprint,
    }
    values.update(fields)
    for name, value in values.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    return settings


def arrived(server, batch: ClaimBatch) -> bytes:
    return (server.root / "inbound" / batch.file_name).read_bytes()


# -- SFTP ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sftp_upload_delivers_the_exact_bytes(sftp_server, submission, batch):  # noqa: F811
    use_sftp(submission, sftp_server)
    sent = send_batch(batch=batch, actor=batch.created_by)
    assert arrived(sftp_server, batch) == batch.text.encode("ascii")
    assert sorted(p.name for p in (sftp_server.root / "inbound").iterdir()) == [batch.file_name]
    assert sent.sent_at is not None and sent.sent_by == batch.created_by
    assert sent.destination == (
        f"sftp://{USER}@127.0.0.1:{sftp_server.port}/inbound/{batch.file_name}"
    )
    assert sent.send_attempts == 1 and sent.last_error == ""
    assert sent.delivery_status == "sent"


@pytest.mark.django_db
def test_sftp_with_a_private_key_and_no_password(sftp_server, submission, batch, client_key):  # noqa: F811
    use_sftp(
        submission,
        sftp_server,
        sftp_password="",
        sftp_private_key=client_key.export_private_key("openssh").decode(),
    )
    send_batch(batch=batch)
    assert arrived(sftp_server, batch) == batch.text.encode("ascii")
    assert sftp_server.logins == []  # the key did it; no password was tried


@pytest.mark.django_db
def test_secrets_are_encrypted_at_rest(submission):  # noqa: F811
    submission.sftp_password = PASSWORD
    submission.save()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sftp_password FROM billing_submissionsettings WHERE id = %s", [submission.pk]
        )
        stored = cursor.fetchone()[0]
    assert stored and PASSWORD not in stored
    assert SubmissionSettings.objects.get(pk=submission.pk).sftp_password == PASSWORD


@pytest.mark.django_db
def test_wrong_password_is_a_clear_error_and_changes_no_claim(sftp_server, submission, batch):  # noqa: F811
    use_sftp(submission, sftp_server, sftp_password="not it")
    with pytest.raises(DeliveryError, match="refused the login: check the user name, password"):
        send_batch(batch=batch)
    batch.refresh_from_db()
    assert batch.sent_at is None and batch.send_attempts == 1
    assert batch.delivery_status.startswith("not delivered: the SFTP server at 127.0.0.1:")
    assert not (sftp_server.root / "inbound" / batch.file_name).exists()
    assert set(batch.claims.values_list("status", flat=True)) == {Claim.SUBMITTED}


@pytest.mark.django_db
def test_unknown_host_key_is_refused_before_any_password(sftp_server, submission, batch):  # noqa: F811
    other = asyncssh.generate_private_key("ssh-ed25519").get_fingerprint("sha256")
    use_sftp(submission, sftp_server, sftp_host_key_fingerprint=other)
    with pytest.raises(DeliveryError) as caught:
        send_batch(batch=batch)
    assert caught.value.field == "sftp_host_key_fingerprint"
    assert sftp_server.fingerprint in caught.value.message and other in caught.value.message
    assert "nothing was sent" in caught.value.message
    assert sftp_server.logins == []
    assert not (sftp_server.root / "inbound" / batch.file_name).exists()


@pytest.mark.django_db
def test_no_pinned_key_shows_the_servers_fingerprint(sftp_server, submission, batch):  # noqa: F811
    use_sftp(submission, sftp_server, sftp_host_key_fingerprint="")
    with pytest.raises(DeliveryError, match="no host key fingerprint is set") as caught:
        send_batch(batch=batch)
    assert sftp_server.fingerprint in caught.value.message
    assert sftp_server.logins == []


@pytest.mark.django_db
def test_nobody_listening_is_a_clear_error(submission, batch):  # noqa: F811
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name, value in {
        "delivery": SubmissionSettings.SFTP,
        "sftp_host": "127.0.0.1",
        "sftp_port": port,
        "sftp_username": USER,
        "sftp_password": PASSWORD,
    }.items():
        setattr(submission, name, value)
    submission.save()
    with pytest.raises(DeliveryError, match=f"cannot reach the SFTP server at 127.0.0.1:{port}"):
        send_batch(batch=batch)


@pytest.mark.django_db
def test_missing_sftp_details_name_the_field(submission, batch):  # noqa: F811
    submission.delivery = SubmissionSettings.SFTP
    submission.sftp_host = "sftp.example.org"
    submission.sftp_username = USER
    submission.save()
    with pytest.raises(DeliveryError) as caught:
        send_batch(batch=batch)
    assert caught.value.field == "sftp_password"
    submission.sftp_private_key = "not a key"
    submission.save()
    with pytest.raises(DeliveryError, match="private key cannot be read") as caught:
        send_batch(batch=batch)
    assert caught.value.field == "sftp_private_key"


def test_fingerprint_field_refuses_other_text():
    from django.core.exceptions import ValidationError

    settings = SubmissionSettings(sftp_host_key_fingerprint="MD5:aa:bb")
    with pytest.raises(ValidationError) as caught:
        settings.clean_fields(exclude=[f.name for f in SubmissionSettings._meta.fields if
                                       f.name != "sftp_host_key_fingerprint"])  # fmt: skip
    assert "SHA256" in str(caught.value)


# -- the outbox ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_outbox_by_default_under_the_data_folder(submission, batch):  # noqa: F811
    sent = send_batch(batch=batch)
    path = Path(django_settings.DATA_DIR) / "outbox" / batch.file_name
    assert path.read_bytes() == batch.text.encode("ascii")
    assert sent.destination == str(path)
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".part")] == []
    again = send_batch(batch=batch)  # send again: same file, replaced whole
    assert again.send_attempts == 2 and path.read_bytes() == batch.text.encode("ascii")


@pytest.mark.django_db
def test_outbox_folder_chosen_and_missing(submission, batch, tmp_path):  # noqa: F811
    submission.outbox_path = str(tmp_path / "to-clearinghouse")
    submission.save()
    with pytest.raises(DeliveryError, match="does not exist") as caught:
        send_batch(batch=batch)
    assert caught.value.field == "outbox_path"
    batch.refresh_from_db()
    assert batch.delivery_status == (
        f"not delivered: the outbox folder {tmp_path / 'to-clearinghouse'} does not exist"
    )
    (tmp_path / "to-clearinghouse").mkdir()
    sent = send_batch(batch=batch)
    assert (tmp_path / "to-clearinghouse" / batch.file_name).read_bytes() == batch.text.encode()
    assert sent.delivery_status == "sent" and sent.send_attempts == 2


# -- in the background --------------------------------------------------------------------


def run_worker():
    call_command("worker", "--batch", "--interval", "0", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_and_retries_a_failed_send(submission, ready, practice, tmp_path):  # noqa: F811
    ready()
    batch = create_batch(actor=ready.biller)
    submission.outbox_path = str(tmp_path / "missing")
    submission.save()
    queue_send(batch=batch, actor=ready.biller)
    batch.refresh_from_db()
    assert batch.delivery_status == "waiting to be sent"
    run_worker()
    batch.refresh_from_db()
    assert batch.delivery_status.startswith("not delivered: the outbox folder")
    rows = DBTaskResult.objects.filter(task_path=send_batch_task.module_path)
    assert sorted(rows.values_list("status", flat=True)) == ["FAILED", "READY"]  # retry waits
    (tmp_path / "missing").mkdir()
    queue_send(batch=batch, actor=ready.biller)  # "send again" from the batches page
    run_worker()
    batch.refresh_from_db()
    assert batch.delivery_status == "sent" and batch.sent_by == ready.biller
    assert (tmp_path / "missing" / batch.file_name).read_bytes() == batch.text.encode()


# -- pages, API, CLI, permissions ----------------------------------------------------------


@pytest.mark.django_db
def test_batches_page_shows_delivery_and_sends(client_as, submission, batch):  # noqa: F811
    biller = client_as("biller")
    page = biller.get("/billing/batches/").content.decode()
    assert "Not sent yet" in page and f'action="/billing/batches/{batch.pk}/send/"' in page
    response = biller.post(f"/billing/batches/{batch.pk}/send/")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.delivery_status == "waiting to be sent"
    assert DBTaskResult.objects.filter(task_path=send_batch_task.module_path).count() == 1
    send_batch(batch=batch)
    page = biller.get("/billing/batches/").content.decode()
    assert "Send again" in page and "Sent 20" in page and "Not sent yet" not in page


@pytest.mark.django_db
def test_front_desk_cannot_send(client_as, client, make_user, submission, batch):  # noqa: F811
    desk = client_as("front_desk")
    assert desk.post(f"/billing/batches/{batch.pk}/send/").status_code == 403
    token = create_token(user=make_user("front_desk"))
    r = client.post(
        f"/api/v1/billing/batches/{batch.pk}/send", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_api_send_queues_or_sends_now(client, make_user, submission, batch):  # noqa: F811
    headers = {"Authorization": f"Bearer {create_token(user=make_user('biller'))}"}

    def post(url):
        return client.post(url, headers=headers)

    r = post(f"/api/v1/billing/batches/{batch.pk}/send")
    assert r.status_code == 202 and r.json()["delivery_status"] == "waiting to be sent"
    r = post(f"/api/v1/billing/batches/{batch.pk}/send?now=true")
    assert r.status_code == 200 and r.json()["delivery_status"] == "sent"
    assert r.json()["destination"].endswith(batch.file_name)
    assert post("/api/v1/billing/batches/999999/send").status_code == 404
    submission.outbox_path = "/nonexistent/outbox"
    submission.save()
    r = post(f"/api/v1/billing/batches/{batch.pk}/send?now=true")
    assert r.status_code == 409
    assert r.json() == {
        "detail": "the outbox folder /nonexistent/outbox does not exist",
        "code": "not_delivered",
        "field": "outbox_path",
    }


@pytest.mark.django_db
def test_cli_send_one_and_all_unsent(submission, ready, practice, capsys):  # noqa: F811
    ready()
    first = create_batch(actor=ready.biller)
    ready()
    second = create_batch(actor=ready.biller)
    call_command("claims", "send", str(first.pk))
    assert "sent" in capsys.readouterr().out
    call_command("claims", "send", "--all-unsent")
    out = capsys.readouterr().out
    assert second.file_name in out and first.file_name not in out
    outbox = Path(django_settings.DATA_DIR) / "outbox"
    assert {p.name for p in outbox.iterdir()} == {first.file_name, second.file_name}
    with pytest.raises(Exception, match="no batch 999999"):
        call_command("claims", "send", "999999")
    submission.outbox_path = "/nonexistent/outbox"
    submission.save()
    with pytest.raises(Exception, match="not delivered: the outbox folder /nonexistent/outbox"):
        call_command("claims", "send", str(first.pk))
