"""The app shell's navigation: only areas that exist and that the user may open."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str | None  # None: every signed-in user


# Each app adds its entry here when its pages land.
NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("Today", "home", None),
    NavItem("Patients", "patient_list", "patients.view_patient"),
    NavItem("Access log", "audit_log", "core.view_accesslogentry"),
    NavItem("Background jobs", "task_list", "django_tasks_database.view_dbtaskresult"),
    NavItem("Users", "user_list", "core.view_user"),
    NavItem("Schedule", "schedule_day", "scheduling.view_appointment"),
    NavItem("Flow board", "flow_board", "scheduling.view_appointment"),
    NavItem("Next available", "next_available", "scheduling.add_appointment"),
    NavItem("Schedule set-up", "setup_home", "scheduling.view_availabilitytemplate"),
    NavItem("Ready to bill", "billing_ready", "billing.add_charge"),
    NavItem("Claims", "claim_list", "billing.view_claim"),
    NavItem("Fee schedule", "fee_schedule", "billing.view_service"),
    NavItem("Messages", "messaging_log", "messaging.view_message"),
    NavItem("Call-backs", "messaging_callbacks", "messaging.view_callbackrequest"),
)


def navigation_for(user, current_path: str) -> list[dict]:
    items = []
    for item in NAV_ITEMS:
        if item.permission and not user.has_perm(item.permission):
            continue
        url = reverse(item.url_name)
        active = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": item.label, "url": url, "active": active})
    return items
