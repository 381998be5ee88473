"""The patient pages: find, register, open, edit; coverages, scanned documents, merges.

Views stay thin: they check the permission (through the ``access_*``
selectors), call a service or selector, and write the PHI access log for
every page that shows a patient (services log the changes they make).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from medoffice.core.audit import VIEW, client_address, log_patient_access, record_access
from medoffice.core.errors import DomainError
from medoffice.patients import selectors
from medoffice.patients.forms import (
    CoverageForm,
    DocumentForm,
    EndCoverageForm,
    MergeForm,
    PatientForm,
    SearchForm,
    UnmergeForm,
)
from medoffice.patients.models import Coverage, PatientMerge, validate_mrn
from medoffice.patients.services.coverages import add_coverage, end_coverage, update_coverage
from medoffice.patients.services.documents import upload_document
from medoffice.patients.services.merges import merge_patients, plan_merge, unmerge_patients
from medoffice.patients.services.patients import register_patient, update_patient

PAGE_SIZE = 25
MAX_SEARCH_PAGE = 40  # 1,000 results: past that, the search should be narrower


def _or_http(fetch, **kwargs):
    """Call an access_* selector; its 403/404 become Django's."""
    try:
        return fetch(**kwargs)
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from None
        raise Http404(exc.message) from None


def _patient(request, pk: int, perm: str = "patients.view_patient"):
    return _or_http(selectors.access_patient, user=request.user, patient_id=pk, perm=perm)


def _detail_url(patient_id: int, section: str = "") -> str:
    url = reverse("patient_detail", args=[patient_id])
    return f"{url}#{section}" if section else url


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except (TypeError, ValueError):
        return 1


# --- find -----------------------------------------------------------------------------


@login_required
@permission_required("patients.view_patient", raise_exception=True)
def patient_list(request):
    """The search box with live results (htmx), and every patient in name order before it."""
    form = SearchForm(request.GET or None)
    query, inactive = "", False
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        inactive = form.cleaned_data["inactive"]
    number = _page_number(request)
    offset = (number - 1) * PAGE_SIZE
    if query:
        number = min(number, MAX_SEARCH_PAGE)
        offset = (number - 1) * PAGE_SIZE
        rows = selectors.search_patients(
            query=query, limit=PAGE_SIZE + 1, offset=offset, include_inactive=inactive
        )
    else:
        browse = selectors.browse_patients(include_inactive=inactive)
        rows = list(browse[offset : offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    record_access(
        user=request.user,
        action=VIEW,
        object_type="patient list",
        object_id="",
        ip_address=client_address(request),
        detail=f"search: {query}" if query else f"list page {number}",
    )
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "rows": rows,
        "query": query,
        "number": number,
        "has_next": has_next and (not query or number < MAX_SEARCH_PAGE),
        "has_previous": number > 1,
        "params": params.urlencode(),
    }
    template = "patients/_results.html" if request.htmx else "patients/patient_list.html"
    return render(request, template, context)


# --- register, open, edit -------------------------------------------------------------


@login_required
@permission_required("patients.add_patient", raise_exception=True)
def patient_create(request):
    form = PatientForm(request.POST or None, creating=True)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = selectors.possible_duplicates(
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
        )
        if not duplicates or request.POST.get("different_person"):
            try:
                patient = register_patient(
                    actor=request.user, ip_address=client_address(request), **data
                )
            except DomainError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request, f"{patient.display_name} is registered: MRN {patient.mrn}."
                )
                return redirect(_detail_url(patient.pk))
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "creating": True, "duplicates": duplicates},
    )


@login_required
def patient_detail(request, pk: int):
    """The patient's page: summary header, demographics, coverages, documents, merges."""
    patient = _patient(request, pk)
    user = request.user
    today = timezone.localdate()
    may_see_coverages = user.has_perm("patients.view_coverage")
    context = {
        "patient": patient,
        "age": patient.age_on(today),
        "coverages": selectors.coverages_of(patient, on=today) if may_see_coverages else None,
        "documents": (
            selectors.documents_of(patient) if selectors.may_view_documents(user) else None
        ),
        "merges": selectors.merges_of(patient),
        "may_edit": user.has_perm("patients.change_patient") and not patient.is_merged,
        "may_add_coverage": user.has_perm("patients.add_coverage") and not patient.is_merged,
        "may_change_coverage": user.has_perm("patients.change_coverage") and not patient.is_merged,
        "may_upload": selectors.may_upload_documents(user) and not patient.is_merged,
        "may_merge": user.has_perm("patients.add_patientmerge") and not patient.is_merged,
        "may_unmerge": user.has_perm("patients.change_patientmerge"),
        "document_form": DocumentForm(),
    }
    log_patient_access(request, patient_id=patient.pk)
    return render(request, "patients/patient_detail.html", context)


def _saved_through(service, request, form, done: str, **target) -> bool:
    """A valid POST handed to ``service`` (who, from where, the form's fields); True once it
    saved, with ``done`` as the page's message; the service's refusals land on the form."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        service(
            actor=request.user, ip_address=client_address(request), **target, **form.cleaned_data
        )
    except DomainError as exc:
        form.add_service_errors(exc)
        return False
    messages.success(request, done)
    return True


@login_required
def patient_edit(request, pk: int):
    patient = _patient(request, pk, "patients.change_patient")
    if patient.is_merged:
        messages.error(request, "This record was merged; make changes on the record that was kept.")
        return redirect(_detail_url(patient.pk))
    form = PatientForm(request.POST or None, instance=patient)
    if _saved_through(update_patient, request, form, "The changes are saved.", patient=patient):
        return redirect(_detail_url(patient.pk))
    log_patient_access(request, patient_id=patient.pk, detail="edit form")
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


# --- coverages ------------------------------------------------------------------------


@login_required
def coverage_create(request, pk: int):
    patient = _patient(request, pk, "patients.add_coverage")
    form = CoverageForm(request.POST or None, instance=Coverage(patient=patient))
    if _saved_through(add_coverage, request, form, "The coverage is added.", patient=patient):
        return redirect(_detail_url(patient.pk, "coverages"))
    log_patient_access(request, patient_id=patient.pk, object_type="coverage", object_id="new")
    return render(request, "patients/coverage_form.html", {"form": form, "patient": patient})


def _coverage(request, pk: int):
    coverage = _or_http(
        selectors.access_coverage,
        user=request.user,
        coverage_id=pk,
        perm="patients.change_coverage",
    )
    return coverage, coverage.patient


@login_required
def coverage_edit(request, pk: int):
    coverage, patient = _coverage(request, pk)
    form = CoverageForm(request.POST or None, instance=coverage)
    if _saved_through(update_coverage, request, form, "The coverage is saved.", coverage=coverage):
        return redirect(_detail_url(patient.pk, "coverages"))
    return _coverage_page(request, coverage, form, EndCoverageForm())


def _coverage_page(request, coverage, form, end_form):
    log_patient_access(
        request, patient_id=coverage.patient_id, object_type="coverage", object_id=coverage.pk
    )
    context = {"form": form, "end_form": end_form, "patient": coverage.patient}
    context["coverage"] = coverage
    return render(request, "patients/coverage_form.html", context)


@login_required
@require_POST
def coverage_end(request, pk: int):
    coverage, patient = _coverage(request, pk)
    end_form = EndCoverageForm(request.POST)
    if end_form.is_valid():
        try:
            end_coverage(
                actor=request.user,
                coverage=coverage,
                end_date=end_form.cleaned_data["end_date"],
                ip_address=client_address(request),
            )
        except DomainError as exc:
            end_form.add_error("end_date", exc.message)
        else:
            messages.success(request, "The coverage is ended.")
            return redirect(_detail_url(patient.pk, "coverages"))
    return _coverage_page(request, coverage, CoverageForm(instance=coverage), end_form)


# --- documents ------------------------------------------------------------------------


@login_required
def document_upload(request, pk: int):
    patient = _patient(request, pk)
    if not selectors.may_upload_documents(request.user):
        raise PermissionDenied("Your role does not allow adding documents to a patient's record.")
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload_document(
                actor=request.user,
                patient=patient,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                ip_address=client_address(request),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "The document is stored.")
            return redirect(_detail_url(patient.pk, "documents"))
    log_patient_access(request, patient_id=patient.pk, object_type="document", object_id="new")
    return render(request, "patients/document_form.html", {"form": form, "patient": patient})


@login_required
def document_download(request, pk: int):
    """The scanned file itself, only through here: permission checked, access logged."""
    document = _or_http(selectors.access_document, user=request.user, document_id=pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The scanned file is missing from storage; upload it again.") from None
    log_patient_access(
        request,
        patient_id=document.patient_id,
        object_type="document",
        object_id=document.pk,
        detail=document.get_kind_display(),
    )
    suffix = document.file.name.rsplit(".", 1)[-1]
    response = FileResponse(
        handle,
        content_type=document.content_type,
        as_attachment=request.GET.get("download") == "1",
        filename=f"{document.kind}-{document.pk}.{suffix}",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- merges ---------------------------------------------------------------------------


@login_required
def patient_merge(request, pk: int):
    """Pick the other record and which one stays; see what moves; confirm."""
    patient = _patient(request, pk, "patients.add_patientmerge")
    form = MergeForm(request.POST or None)
    plan = other = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        other = selectors.patient_by_mrn(data["other_mrn"])
        if other is None:
            try:
                validate_mrn(data["other_mrn"].strip())
            except ValidationError as exc:
                form.add_error("other_mrn", exc.messages[0])
            else:
                form.add_error("other_mrn", "No record has this MRN; check the number.")
        else:
            keep_this = data["keep"] == MergeForm.KEEP_THIS
            survivor, duplicate = (patient, other) if keep_this else (other, patient)
            try:
                if request.POST.get("confirm"):
                    merge_patients(
                        actor=request.user,
                        survivor=survivor,
                        duplicate=duplicate,
                        reason=data["reason"],
                        ip_address=client_address(request),
                    )
                    messages.success(
                        request, f"Record {duplicate.mrn} is merged into {survivor.mrn}."
                    )
                    return redirect(_detail_url(survivor.pk))
                plan = plan_merge(survivor=survivor, duplicate=duplicate)
            except DomainError as exc:
                field = {"reason": "reason"}.get(exc.field or "", "other_mrn")
                form.add_error(field, exc.message)
            if plan is not None:
                log_patient_access(request, patient_id=other.pk, detail="merge preview")
    log_patient_access(request, patient_id=patient.pk, detail="merge form")
    return render(
        request,
        "patients/merge.html",
        {"patient": patient, "form": form, "plan": plan, "other": other},
    )


@login_required
@require_POST
def patient_unmerge(request, pk: int):
    if not request.user.has_perm("patients.change_patientmerge"):
        raise PermissionDenied("Your role does not allow undoing merges.")
    merge = PatientMerge.objects.filter(pk=pk).first() if pk <= selectors.MAX_ID else None
    if merge is None:
        raise Http404("There is no such merge.")
    form = UnmergeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        unmerge_patients(
            actor=request.user, merge=merge, reason=reason, ip_address=client_address(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_detail_url(merge.survivor_id))
    messages.success(request, f"The merge is undone: record {merge.duplicate.mrn} is back.")
    return redirect(_detail_url(merge.duplicate_id))
