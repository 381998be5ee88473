"""Next available: the open-slot finder and the waitlist matches."""

from django.urls import path

from medoffice.scheduling import views_slots, views_waitlist

urlpatterns = [
    path("next-available/", views_slots.next_available, name="next_available"),
    path("next-available/book/", views_slots.next_available_book, name="next_available_book"),
    path(
        "next-available/patients/",
        views_slots.slot_patient_search,
        name="slot_patient_search",
    ),
    path("waitlist/", views_waitlist.waitlist, name="waitlist"),
    path("waitlist/add/", views_waitlist.waitlist_add, name="waitlist_add"),
    path("waitlist/book/", views_waitlist.waitlist_book, name="waitlist_book"),
    path("waitlist/<int:pk>/remove/", views_waitlist.waitlist_remove, name="waitlist_remove"),
]
