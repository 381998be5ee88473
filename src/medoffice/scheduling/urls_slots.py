"""Next available: the open-slot finder and the waitlist matches."""

urlpatterns: list = []
