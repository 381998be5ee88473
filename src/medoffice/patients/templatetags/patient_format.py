"""How patient details read on the page: phones as (706) 555-0142, sizes in KB or MB."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored 10-digit phone as (706) 555-0142; anything else as it is."""
    digits = (value or "")[-10:]
    if len(digits) == 10 and digits.isdigit():
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return value or ""


@register.filter
def file_size(size: int) -> str:
    if size is None:
        return ""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"
