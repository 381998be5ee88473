"""A user's own two-factor sign-in: set up an authenticator app, check its codes, turn it off.

Codes are checked against the user's TOTP device with django-otp, whose
throttling makes each wrong code double the wait before the next try.
"""

from __future__ import annotations

import logging
import math
from base64 import b32encode
from dataclasses import dataclass

import django_otp
import qrcode
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from qrcode.image.svg import SvgPathImage

from medoffice.core.models import User

security_log = logging.getLogger("medoffice.security")

DEVICE_NAME = "Authenticator app"


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of checking a code.

    ``device`` is the device that accepted it; ``throttled`` means the code was not
    even checked because of earlier wrong codes, and ``wait_seconds`` says for how long.
    """

    device: TOTPDevice | None
    throttled: bool = False
    wait_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.device is not None


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def pending_device(user: User) -> TOTPDevice:
    """The not-yet-confirmed device being set up (the same one until it is confirmed)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_for_manual_entry(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, as authenticator apps ask for it."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code."""
    image = qrcode.make(device.config_url, image_factory=SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def check_code(device: TOTPDevice, code: str) -> CodeCheck:
    """Check one code against one device, honouring django-otp's throttling."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        wait = _seconds_until((info or {}).get("locked_until"))
        return CodeCheck(None, throttled=True, wait_seconds=wait)
    return CodeCheck(django_otp.verify_token(device.user, device.persistent_id, code))


def _seconds_until(moment) -> int:
    if moment is None:
        return 0
    return max(1, math.ceil((moment - timezone.now()).total_seconds()))


@transaction.atomic
def confirm_two_factor(*, user: User, device: TOTPDevice, code: str) -> CodeCheck:
    """Turn two-factor on once the first code from the new app checks out."""
    result = check_code(device, code)
    if result.ok:
        device = result.device
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        user.require_two_factor = True
        user.save(update_fields=["require_two_factor"])
        security_log.info("%s turned on two-factor sign-in", user.username)
    return result


@transaction.atomic
def turn_off_two_factor(*, user: User, code: str) -> CodeCheck:
    """Turn two-factor off; it takes a current code, so a borrowed session cannot do it."""
    device = confirmed_device(user)
    if device is None:
        return CodeCheck(None)
    result = check_code(device, code)
    if result.ok:
        TOTPDevice.objects.filter(user=user).delete()
        user.require_two_factor = False
        user.save(update_fields=["require_two_factor"])
        security_log.info("%s turned off two-factor sign-in", user.username)
    return result
