"""API for messaging: handlers translate and call the app's services and selectors."""

from ninja import Router

router = Router(tags=["messaging"])
