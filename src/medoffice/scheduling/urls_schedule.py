"""Day and week views, booking from the schedule, the flow board, wait times, calendar feeds."""

urlpatterns: list = []
