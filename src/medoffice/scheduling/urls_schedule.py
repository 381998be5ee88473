"""Day and week views, booking from the schedule, the flow board, wait times, calendar feeds."""

from django.urls import path

from medoffice.scheduling import views_appointments, views_flow, views_schedule

urlpatterns = [
    path("schedule/", views_schedule.schedule_day, name="schedule_day"),
    path("schedule/week/", views_schedule.schedule_week, name="schedule_week"),
    path("schedule/day-sheet/", views_schedule.schedule_day_sheet, name="schedule_day_sheet"),
    path("schedule/book/", views_appointments.schedule_book, name="schedule_book"),
    path(
        "schedule/book/patients/",
        views_appointments.schedule_patient_search,
        name="schedule_patient_search",
    ),
    path(
        "schedule/appointments/<int:pk>/",
        views_appointments.schedule_appointment,
        name="schedule_appointment",
    ),
    path(
        "schedule/appointments/<int:pk>/confirm/",
        views_appointments.appointment_confirm,
        name="schedule_appointment_confirm",
    ),
    path(
        "schedule/appointments/<int:pk>/step/",
        views_appointments.appointment_step,
        name="schedule_appointment_step",
    ),
    path(
        "schedule/appointments/<int:pk>/cancel/",
        views_appointments.appointment_cancel,
        name="schedule_appointment_cancel",
    ),
    path(
        "schedule/appointments/<int:pk>/reschedule/",
        views_appointments.appointment_reschedule,
        name="schedule_appointment_reschedule",
    ),
    path("schedule/calendar-feeds/", views_flow.calendar_feeds, name="calendar_feeds"),
    path("calendar/<str:token>.ics", views_flow.calendar_feed, name="calendar_feed"),
    path("flow-board/", views_flow.flow_board_page, name="flow_board"),
    path("flow-board/cards/", views_flow.flow_board_cards, name="flow_board_cards"),
    path("flow-board/<int:pk>/step/", views_flow.flow_board_step, name="flow_board_step"),
    path("wait-times/", views_flow.wait_times, name="wait_times"),
]
