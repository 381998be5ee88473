"""Schedule set-up: providers, rooms, appointment types, weekly templates, exceptions."""

urlpatterns: list = []
