"""The home page, the auditor's access-log search and the background-jobs page."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from medoffice.core import csvsafe
from medoffice.core.audit import search_access_log
from medoffice.core.forms import AccessLogFilterForm
from medoffice.core.home import panels_for
from medoffice.core.tasks import describe_result, verify_access_log

PAGE_SIZE = 50


@login_required
def home(request):
    return render(request, "core/home.html", {"panels": panels_for(request.user)})


@permission_required("core.view_accesslogentry", raise_exception=True)
def audit_log(request):
    form = AccessLogFilterForm(request.GET or None)
    rows = search_access_log()
    if form.is_valid():
        data = form.cleaned_data
        zone = timezone.get_current_timezone()
        rows = search_access_log(
            patient_id=data.get("patient"),
            username=data.get("user") or "",
            date_from=(
                timezone.make_aware(datetime.combine(data["date_from"], time.min), zone)
                if data.get("date_from")
                else None
            ),
            date_to=(
                timezone.make_aware(
                    datetime.combine(data["date_to"] + timedelta(days=1), time.min), zone
                )
                if data.get("date_to")
                else None
            ),
        )
    if request.GET.get("format") == "csv" and form.is_valid():
        return _access_log_csv(rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # htmx filters live as the auditor types: answer with the results block only.
    template = "core/_audit_results.html" if request.htmx else "core/audit_log.html"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})


def _access_log_csv(rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="access-log.csv"'
    writer = csvsafe.writer(response)
    writer.writerow(
        ["position", "when (UTC)", "user", "action", "record", "record id", "patient id", "from"]
    )
    for row in rows.iterator(chunk_size=2000):
        writer.writerow(
            [
                row.position,
                row.at.isoformat(timespec="seconds"),
                row.username,
                row.action,
                row.object_type,
                row.object_id,
                row.patient_id or "",
                row.ip_address,
            ]
        )
    return response


@require_POST
@permission_required("core.view_accesslogentry", raise_exception=True)
def audit_verify(request):
    """Start a background verification of the access log's chain."""
    verify_access_log.enqueue()
    messages.success(
        request,
        "Verification started. The result appears on your home page when the worker finishes.",
    )
    return redirect("home")


@permission_required("django_tasks_database.view_dbtaskresult", raise_exception=True)
def task_list(request):
    status = request.GET.get("status", "")
    qs = DBTaskResult.objects.order_by("-enqueued_at")
    if status:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    jobs = [describe_result(r) for r in page.object_list]
    return render(
        request,
        "core/task_list.html",
        {
            "page": page,
            "jobs": jobs,
            "status": status,
            "statuses": TaskResultStatus.choices,
            "query": f"status={status}",
        },
    )
