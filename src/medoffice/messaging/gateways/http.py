"""Texts and automated calls through an HTTP provider, in the shape the common SMS/voice APIs
share.

Request: ``POST <base>/messages`` (texts) or ``<base>/calls`` (calls), a form with ``To``,
``From`` and ``Body``, ``Authorization: Bearer <token>`` and ``Idempotency-Key: <uuid>``.
Answer: ``2xx`` with JSON ``{"id": "...", "status": "queued"}``; ``4xx`` with
``{"code": ..., "message": "..."}`` is permanent (the codes in
``MEDOFFICE_SMS_UNREACHABLE_CODES`` mean the number cannot receive this channel, e.g. a
landline for texts); ``429``, ``5xx``, timeouts and dropped connections are temporary.
Delivery statuses come back later to the status webhook.
"""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlencode, urlsplit

from medoffice.messaging import conf
from medoffice.messaging.gateways import Outgoing, PermanentFailure, SendResult, TemporaryFailure
from medoffice.messaging.templating import SMS


class HttpGateway:
    def __init__(self, *, channel: str, base_url: str, token: str, sender: str, timeout: float):
        self.channel = channel
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.sender = sender
        self.timeout = timeout or 10
        self._conn: http.client.HTTPConnection | None = None
        parts = urlsplit(self.base_url) if self.base_url else None
        self._parts = parts

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            parts = self._parts
            cls = (
                http.client.HTTPSConnection
                if parts.scheme == "https"
                else http.client.HTTPConnection
            )
            conn = cls(parts.hostname, parts.port, timeout=self.timeout)
            conn.connect()
            # Small requests on a kept-alive connection: do not wait to fill a packet.
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = conn
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def send(self, message: Outgoing) -> SendResult:
        what = "text messages" if self.channel == SMS else "automated calls"
        if not self.base_url or self._parts is None or self._parts.scheme not in ("http", "https"):
            prefix = "SMS" if self.channel == SMS else "VOICE"
            raise PermanentFailure(
                f"no provider for {what} is set up (MEDOFFICE_{prefix}_URL)", code="not_configured"
            )
        path = (self._parts.path or "") + ("/messages" if self.channel == SMS else "/calls")
        form = urlencode({"To": message.to, "From": self.sender, "Body": message.body})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "Authorization": f"Bearer {self.token}",
            "Idempotency-Key": message.idempotency_key,
        }
        status, payload = self._post(path, form, headers)
        if 200 <= status < 300:
            provider_id = str(payload.get("id") or payload.get("sid") or "")
            if not provider_id:
                raise TemporaryFailure(f"provider answered {status} without a message id")
            return SendResult(
                provider_message_id=provider_id, status=str(payload.get("status", ""))
            )
        code = str(payload.get("code", "") or status)
        text = str(payload.get("message") or payload.get("error") or f"HTTP {status}")[:200]
        if status == 429 or status >= 500:
            raise TemporaryFailure(f"provider answered {status}: {text}")
        if status in (401, 403):
            raise TemporaryFailure(f"provider refused our credentials ({status}): {text}")
        unreachable = code.lower() in conf.unreachable_codes()
        raise PermanentFailure(
            f"provider refused it ({code}): {text}", code=code, unreachable=unreachable
        )

    def _post(self, path: str, form: str, headers: dict) -> tuple[int, dict]:
        for attempt in (1, 2):
            try:
                conn = self._connection()
                conn.request("POST", path, body=form, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                # A kept-alive connection the server closed: open a new one once.
                self._drop()
                if attempt == 2:
                    raise TemporaryFailure(f"provider connection dropped: {exc}") from exc
            except TimeoutError as exc:
                self._drop()
                raise TemporaryFailure(
                    f"provider did not answer within {self.timeout:g} s"
                ) from exc
            except OSError as exc:
                self._drop()
                raise TemporaryFailure(f"provider unreachable: {exc}") from exc
        if response.getheader("Connection", "").lower() == "close":
            self._drop()
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        return response.status, payload
