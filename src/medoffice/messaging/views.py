"""The messaging pages under /messages/: logs per day and per patient, the failed-deliveries
queue, the call-back list, templates (with a live preview), reminder and recall rules, the
recall list, and confirmation rates. Every page that names patients writes the access log."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from medoffice.core.audit import UPDATE, VIEW, client_address, log_patient_access, record_access
from medoffice.core.errors import DomainError
from medoffice.core.models import Location
from medoffice.messaging import selectors, templating
from medoffice.messaging.models import Message, RecallRule, ReminderRule
from medoffice.messaging.models.rules import MAX_MINUTES_BEFORE
from medoffice.messaging.services import messages as message_services
from medoffice.messaging.services import recalls, setup
from medoffice.messaging.services.composing import template_for
from medoffice.messaging.tasks import ensure_messaging_clock, start_senders
from medoffice.patients.models import Patient
from medoffice.scheduling.models import AppointmentType

PAGE_SIZE = 50


def require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _zone():
    first = Location.objects.order_by("pk").first()
    return first.zone if first else dt.UTC


def _page(request, rows):
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        number = 1
    page = Paginator(rows, PAGE_SIZE).get_page(number)
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


def _log_list(request, what: str, detail: str) -> None:
    record_access(
        user=request.user,
        action=VIEW,
        object_type=what,
        object_id="",
        ip_address=client_address(request),
        detail=detail[:200],
    )


@login_required
@require_GET
def message_log(request):
    """One local day's messages (default today), searchable, a page at a time."""
    require(request, "messaging.view_message")
    ensure_messaging_clock()
    zone = _zone()
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localtime(timezone.now(), zone).date()
    q = request.GET.get("q", "").strip()[:80]
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    if status not in dict(Message.STATUS_CHOICES):
        status = ""
    if channel not in templating.CHANNEL_LABELS:
        channel = ""
    rows = selectors.message_log(day=day, zone=zone, q=q, status=status, channel=channel)
    page, params = _page(request, rows)
    _log_list(request, "message log", f"day={day} q={q} page={page.number}")
    context = {
        "page": page,
        "params": params,
        "day": day,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "q": q,
        "status": status,
        "channel": channel,
        "statuses": Message.STATUS_CHOICES,
        "channels": templating.CHANNEL_CHOICES,
        "zone": zone,
    }
    template = "messaging/_message_rows.html" if request.htmx else "messaging/log.html"
    return render(request, template, context)


@login_required
@require_GET
def patient_messages(request, patient_id: int):
    require(request, "messaging.view_message")
    patient = get_object_or_404(Patient, pk=patient_id)
    page, params = _page(request, selectors.message_log(patient=patient))
    log_patient_access(request, patient_id=patient.pk, object_type="messages", detail="log")
    return render(
        request,
        "messaging/patient.html",
        {
            "patient": patient,
            "page": page,
            "params": params,
            "opt_outs": patient.opt_outs.filter(ended_at__isnull=True),
            "zone": _zone(),
        },
    )


@login_required
@require_GET
def message_detail(request, message_id: int):
    require(request, "messaging.view_message")
    message = get_object_or_404(
        Message.objects.select_related("patient", "appointment", "fallback_of"), pk=message_id
    )
    log_patient_access(
        request, patient_id=message.patient_id, object_type="message", object_id=message.pk
    )
    return render(
        request,
        "messaging/detail.html",
        {
            "message": message,
            "events": message.events.select_related("by"),
            "fallback": Message.objects.filter(fallback_of=message).first(),
            "zone": _zone(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def failed_queue(request):
    require(request, "messaging.view_message")
    if request.method == "POST":
        require(request, "messaging.change_message")
        action = request.POST.get("action")
        try:
            message_id = int(request.POST.get("message", ""))
            if action == "retry":
                message = message_services.retry_message(actor=request.user, message=message_id)
                start_senders()
                flash.success(request, f"Message {message.pk} is queued to go again now.")
            elif action == "handled":
                message_services.mark_failure_handled(
                    actor=request.user, message=message_id, note=request.POST.get("note", "")
                )
                flash.success(request, f"Message {message_id} is marked handled.")
            else:
                flash.error(request, "Choose Retry or Mark handled.")
        except ValueError:
            flash.error(request, "Choose a message.")
        except DomainError as exc:
            flash.error(request, exc.message)
        return redirect("messaging_failed")
    show_handled = request.GET.get("show") == "handled"
    page, params = _page(request, selectors.failed_queue(include_handled=show_handled))
    _log_list(request, "failed messages", f"page={page.number}")
    return render(
        request,
        "messaging/failed.html",
        {"page": page, "params": params, "show_handled": show_handled, "zone": _zone()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def callbacks(request):
    require(request, "messaging.view_callbackrequest")
    if request.method == "POST":
        require(request, "messaging.change_callbackrequest")
        try:
            message_services.handle_callback(
                actor=request.user,
                request=int(request.POST.get("callback", "0") or 0),
                outcome=request.POST.get("outcome", ""),
            )
            flash.success(request, "Marked handled.")
        except DomainError as exc:
            flash.error(request, exc.message)
        except ValueError:
            flash.error(request, "Choose a call-back.")
        return redirect("messaging_callbacks")
    show = "handled" if request.GET.get("show") == "handled" else "open"
    page, params = _page(request, selectors.callback_list(show=show))
    _log_list(request, "call-back list", f"{show} page={page.number}")
    return render(
        request,
        "messaging/callbacks.html",
        {"page": page, "params": params, "show": show, "zone": _zone()},
    )


@login_required
@require_GET
def template_list(request):
    require(request, "messaging.view_messagetemplate")
    rows = []
    for purpose, purpose_label in templating.PURPOSE_CHOICES:
        for channel, channel_label in templating.CHANNEL_CHOICES:
            subject, body = template_for(purpose, channel)
            rows.append(
                {
                    "purpose": purpose,
                    "purpose_label": purpose_label,
                    "channel": channel,
                    "channel_label": channel_label,
                    "body": body,
                }
            )
    return render(request, "messaging/templates.html", {"rows": rows})


def _preview(subject: str, body: str, channel: str, purpose: str) -> dict:
    try:
        templating.check_template(subject=subject, body=body, channel=channel, purpose=purpose)
    except DomainError as exc:
        return {"error": exc.message, "field": exc.field}
    return {
        "subject": templating.render(subject, templating.SAMPLE) if subject else "",
        "body": templating.render(body, templating.SAMPLE),
    }


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, purpose: str, channel: str):
    require(request, "messaging.view_messagetemplate")
    if purpose not in templating.PURPOSE_LABELS or channel not in templating.CHANNEL_LABELS:
        raise Http404
    subject, body = template_for(purpose, channel)
    errors: dict[str, str] = {}
    if request.method == "POST":
        require(request, "messaging.change_messagetemplate")
        subject = request.POST.get("subject", "")
        body = request.POST.get("body", "")
        if request.POST.get("action") == "reset":
            setup.reset_template(actor=request.user, purpose=purpose, channel=channel)
            flash.success(request, "Back to the built-in words.")
            return redirect("messaging_template", purpose=purpose, channel=channel)
        try:
            setup.save_template(
                actor=request.user, purpose=purpose, channel=channel, subject=subject, body=body
            )
            flash.success(request, "Saved. Messages queued from now on use these words.")
            return redirect("messaging_template", purpose=purpose, channel=channel)
        except DomainError as exc:
            errors[exc.field or "body"] = exc.message
    context = {
        "purpose": purpose,
        "purpose_label": templating.PURPOSE_LABELS[purpose],
        "channel": channel,
        "channel_label": templating.CHANNEL_LABELS[channel],
        "subject": subject,
        "body": body,
        "errors": errors,
        "placeholders": templating.placeholders_for(purpose),
        "preview": _preview(subject, body, channel, purpose),
    }
    return render(request, "messaging/template_edit.html", context)


@login_required
@require_POST
def template_preview(request, purpose: str, channel: str):
    """The live preview (htmx, as the manager types): the sample filled in, or the error."""
    require(request, "messaging.view_messagetemplate")
    if purpose not in templating.PURPOSE_LABELS or channel not in templating.CHANNEL_LABELS:
        raise Http404
    preview = _preview(
        request.POST.get("subject", ""), request.POST.get("body", ""), channel, purpose
    )
    return render(request, "messaging/_preview.html", {"preview": preview, "channel": channel})


@login_required
@require_http_methods(["GET", "POST"])
def rules(request):
    require(request, "messaging.view_reminderrule")
    errors: dict[str, str] = {}
    if request.method == "POST":
        require(request, "messaging.change_reminderrule")
        action = request.POST.get("action")
        try:
            if action == "add":
                kind = AppointmentType.objects.filter(
                    pk=request.POST.get("appointment_type") or 0
                ).first()
                if kind is None:
                    raise DomainError("invalid", "Choose a visit type.", "appointment_type")
                minutes = setup.parse_offset(request.POST.get("offset", ""))
                if minutes > MAX_MINUTES_BEFORE or minutes < 15:
                    raise DomainError(
                        "invalid", "Between 15 minutes and 60 days before the visit.", "offset"
                    )
                setup.add_reminder_rule(
                    actor=request.user, appointment_type=kind, minutes_before=minutes
                )
                flash.success(request, f"{kind.name}: reminder added.")
            elif action in ("on", "off"):
                rule = get_object_or_404(ReminderRule, pk=request.POST.get("rule") or 0)
                setup.set_rule_active(actor=request.user, rule=rule, active=action == "on")
                flash.success(request, f"Reminder {'switched on' if action == 'on' else 'off'}.")
            elif action == "recall":
                kind = AppointmentType.objects.filter(
                    pk=request.POST.get("appointment_type") or 0
                ).first()
                if kind is None:
                    raise DomainError("invalid", "Choose a visit type.", "recall_type")
                try:
                    months = int(request.POST.get("months_after", ""))
                except ValueError:
                    raise DomainError(
                        "invalid", "Give the months as a number.", "months_after"
                    ) from None
                recalls.save_recall_rule(
                    actor=request.user,
                    appointment_type=kind,
                    months_after=months,
                    active=request.POST.get("active", "on") == "on",
                )
                flash.success(request, f"{kind.name}: recall saved.")
            if not errors:
                return redirect("messaging_rules")
        except DomainError as exc:
            errors[exc.field or "offset"] = exc.message
    return render(
        request,
        "messaging/rules.html",
        {
            "rules": ReminderRule.objects.select_related("appointment_type"),
            "recall_rules": RecallRule.objects.select_related("appointment_type"),
            "types": AppointmentType.objects.filter(active=True),
            "errors": errors,
            "posted": request.POST,
        },
        status=422 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def recall_list(request):
    require(request, "messaging.view_recallrule")
    rule_list = list(RecallRule.objects.filter(active=True).select_related("appointment_type"))
    rule = next((r for r in rule_list if str(r.pk) == request.GET.get("rule", "")), None)
    rule = rule or (rule_list[0] if rule_list else None)
    if request.method == "POST":
        require(request, "messaging.add_message")
        rule = get_object_or_404(RecallRule, pk=request.POST.get("rule") or 0)
        chosen = [int(p) for p in request.POST.getlist("patient") if p.isdigit()]
        due = list(selectors.patients_due_for_recall(rule).filter(pk__in=chosen))
        if not due:
            flash.error(request, "Tick the patients to send the booking request to.")
        else:
            report = recalls.send_recalls(actor=request.user, patients=due)
            start_senders()
            for patient in due:
                log_patient_access(
                    request, patient_id=patient.pk, action=UPDATE, object_type="recall"
                )
            flash.success(
                request,
                f"Booking requests queued: {report.queued}; no channel: {report.no_channel}; "
                f"recalled in the last two weeks (skipped): {report.recently_recalled}.",
            )
        return redirect(f"{request.path}?rule={rule.pk}")
    page, params = (None, "")
    if rule is not None:
        page, params = _page(request, selectors.patients_due_for_recall(rule))
        _log_list(request, "recall list", f"rule={rule.pk} page={page.number}")
    return render(
        request,
        "messaging/recalls.html",
        {"rules": rule_list, "rule": rule, "page": page, "params": params},
    )


@login_required
@require_GET
def rates(request):
    require(request, "messaging.view_message")
    zone = _zone()
    today = timezone.localtime(timezone.now(), zone).date()
    try:
        since = dt.date.fromisoformat(request.GET.get("since", ""))
    except ValueError:
        since = today - dt.timedelta(days=90)
    try:
        until = dt.date.fromisoformat(request.GET.get("until", ""))
    except ValueError:
        until = today
    error = "" if since <= until else "The first day must come before the last."
    rows = []
    if not error:
        rows = selectors.confirmation_rates(
            since=dt.datetime.combine(since, dt.time(0, 0), tzinfo=zone),
            until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0, 0), tzinfo=zone),
        )
    return render(
        request,
        "messaging/rates.html",
        {"rows": rows, "since": since, "until": until, "error": error},
    )
