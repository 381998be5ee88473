"""The office's roles, as Django groups with permissions.

Each role lists permissions as ``app_label.codename`` or ``app_label.*`` (every
permission of that app). ``sync_roles`` runs after every migrate, so a new app's
permissions reach the roles that name it without a data migration; a role's
permissions are set exactly (a permission removed here is removed from the group).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission


@dataclass(frozen=True)
class Role:
    slug: str
    name: str
    purpose: str
    permissions: tuple[str, ...]


FRONT_DESK = "front_desk"
MEDICAL_ASSISTANT = "medical_assistant"
BILLER = "biller"
PROVIDER = "provider"
OFFICE_MANAGER = "office_manager"
ADMIN = "admin"
AUDITOR = "auditor"

_SCHEDULE_WORK = (
    "patients.view_patient",
    "patients.add_patient",
    "patients.change_patient",
    "patients.view_coverage",
    "patients.add_coverage",
    "patients.change_coverage",
    "patients.view_payer",
    # The front desk books into the schedule; it reads but does not change the set-up
    # (providers, rooms, visit types, templates, exceptions): that is the office manager's.
    "scheduling.view_*",
    "scheduling.*_appointment",
    "scheduling.*_appointmentseries",
    "scheduling.*_appointmentevent",
    "scheduling.*_waitlistentry",
    # Message logs and the call-back list (reminders); the rules and templates are the
    # office manager's.
    "messaging.view_*",
    # ... and it works the call-back list (marks a call-back handled).
    "messaging.change_callbackrequest",
)

ROLES: dict[str, Role] = {
    r.slug: r
    for r in [
        Role(
            FRONT_DESK,
            "Front desk",
            "Book, move and cancel visits; check patients in and out; enter the charges the "
            "provider marked at check-out; verify insurance.",
            (
                *_SCHEDULE_WORK,
                # Charges at check-out (scenario 2), and the claim they open; claim work
                # (scrubbing, batches, payments) stays with billers and the office manager.
                "billing.view_service",
                "billing.*_charge",
                "billing.*_chargediagnosis",
                "billing.*_chargeline",
                "billing.view_claim",
                # Copays and payments at the desk, and statements to answer questions.
                "billing.add_patientpayment",
                "billing.view_patientpayment",
                "billing.view_statement",
            ),
        ),
        Role(
            MEDICAL_ASSISTANT,
            "Medical assistant",
            "Room patients and see who is waiting and for how long.",
            (
                "patients.view_patient",
                "patients.view_coverage",
                "scheduling.view_*",
                "scheduling.*_appointment",
                "scheduling.*_appointmentevent",
            ),
        ),
        Role(
            BILLER,
            "Biller",
            "Charges, claims, remittances, denials, statements and A/R.",
            (
                "patients.view_patient",
                "patients.change_patient",
                "patients.*coverage",
                "patients.*payer",
                "scheduling.view_*",
                "billing.*",
            ),
        ),
        Role(
            PROVIDER,
            "Provider",
            "Own schedule, patients, the dashboard and the monthly practice report.",
            (
                "patients.view_*",
                "scheduling.view_*",
                "analytics.*",
            ),
        ),
        Role(
            OFFICE_MANAGER,
            "Office manager",
            "Everything the front desk and billers do, plus staff, supplies, budgets, "
            "complaints and compliance.",
            (
                "core.view_location",
                "core.change_location",
                "core.view_practice",
                "core.change_practice",
                "core.view_user",
                "patients.*",
                "scheduling.*",
                "billing.*",
                "messaging.*",
                "inventory.*",
                "staff.*",
                "finance.*",
                "feedback.*",
                "compliance.*",
                "analytics.*",
            ),
        ),
        Role(
            ADMIN,
            "Administrator",
            "Install, users and roles, locations, backups and audit reports.",
            (
                "core.*",
                "auth.view_group",
                "auth.change_group",
                "django_tasks_database.view_dbtaskresult",
                "otp_totp.*",
            ),
        ),
        Role(
            AUDITOR,
            "Auditor",
            "Reads the PHI access log and the compliance reports; changes nothing.",
            ("core.view_accesslogentry", "compliance.view_*"),
        ),
    ]
}


def _matches(pattern: str, app_label: str, codename: str) -> bool:
    want_app, _, want_code = pattern.partition(".")
    if want_app != app_label:
        return False
    if want_code == "*":
        return True
    if want_code.startswith("*"):
        return codename.endswith(want_code[1:])
    if want_code.endswith("*"):
        return codename.startswith(want_code[:-1])
    return codename == want_code


def permissions_for(role: Role) -> list[Permission]:
    apps = {p.partition(".")[0] for p in role.permissions}
    candidates = Permission.objects.filter(content_type__app_label__in=apps).select_related(
        "content_type"
    )
    return [
        perm
        for perm in candidates
        if any(_matches(p, perm.content_type.app_label, perm.codename) for p in role.permissions)
    ]


def sync_roles(**_kwargs) -> None:
    """Create every role's group and set its permissions (idempotent)."""
    for role in ROLES.values():
        group, _ = Group.objects.get_or_create(name=role.name)
        group.permissions.set(permissions_for(role))


def role_group(slug: str) -> Group:
    return Group.objects.get(name=ROLES[slug].name)


def roles_of(user) -> set[str]:
    """The role slugs a user holds (superusers count as admin)."""
    if not user.is_authenticated:
        return set()
    by_name = {r.name: r.slug for r in ROLES.values()}
    held = {by_name[n] for n in user.groups.values_list("name", flat=True) if n in by_name}
    if user.is_superuser:
        held.add(ADMIN)
    return held
