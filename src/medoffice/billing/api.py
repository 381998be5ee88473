"""API for billing: handlers translate and call the app's services and selectors."""

from ninja import Router

router = Router(tags=["billing"])
