"""Upload pages: upload, dry-run preview with row errors, confirm, progress, error downloads.

Every page reaches jobs through `ImportJob.objects.for_user`; a job outside the user's
scope answers 404. The work is done by `assessments.importing` — inline for a small file,
in the Celery task `run_import` (with a progress bar) for a large one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from dealers.choices import Role
from dealers.permissions import ALL_ROLES, role_required

from .choices import ImportKind, ImportStatus
from .exporting import export_response, write_csv
from .forms_imports import ImportUploadForm
from .importing import messages as msg
from .importing.guide import columns_of, template_rows
from .importing.jobs import import_job_start, import_job_store, upload_limit_reached
from .models import ImportJob

FINISHED = {
    ImportStatus.PREVIEWED,
    ImportStatus.SUCCEEDED,
    ImportStatus.PARTIAL,
    ImportStatus.REJECTED,
    ImportStatus.FAILED,
}


def _may_upload(user: Any) -> bool:
    return user.is_hq or (user.role == Role.DEALER_USER and bool(user.dealer_id))


def _jobs(request: HttpRequest) -> Any:
    return ImportJob.objects.for_user(request.user)


@require_GET
@role_required(*ALL_ROLES)
def import_list(request: HttpRequest) -> HttpResponse:
    from .tasks import sweep_if_due

    sweep_if_due()  # without a broker: an import whose process died shows as failed here
    jobs = _jobs(request).select_related("user")
    page = Paginator(jobs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/imports/list.html",
        {"page": page, "jobs": page.object_list, "may_upload": _may_upload(request.user)},
    )


IMPORT_EXPORT_HEADER = (
    gettext_lazy("Started"),
    gettext_lazy("Finished"),
    gettext_lazy("Kind"),
    gettext_lazy("File"),
    gettext_lazy("Status"),
    gettext_lazy("Rows"),
    gettext_lazy("Created"),
    gettext_lazy("Updated"),
    gettext_lazy("Unchanged"),
    gettext_lazy("Rejected"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("By"),
)


@require_GET
@role_required(*ALL_ROLES)
def import_list_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The imports as listed (the user's scope, newest first, every page), as CSV or XLSX."""
    jobs = _jobs(request).select_related("user", "dealer")
    rows = (
        [
            job.started_at,
            job.finished_at,
            job.get_kind_display(),
            job.file_name,
            job.get_status_display(),
            job.rows_total,
            job.created,
            job.updated,
            job.unchanged,
            job.rejected,
            job.dealer.code if job.dealer else "",
            job.dealer.name if job.dealer else "",
            job.user.get_username() if job.user else "",
        ]
        for job in jobs.iterator(chunk_size=1000)
    )
    return export_response(rows, IMPORT_EXPORT_HEADER, fmt, "imports", sheet_title=_("Imports"))


@role_required(Role.HQ_ADMIN, Role.HQ_MANAGER, Role.DEALER_USER)
def import_upload(request: HttpRequest) -> HttpResponse:
    if not _may_upload(request.user):
        raise PermissionDenied
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        if upload_limit_reached(request.user):
            form.add_error(None, msg.UPLOAD_LIMIT_REACHED % {"limit": settings.IMPORT_UPLOADS_PER_HOUR})
        else:
            # Record the upload, keep the file on the job, and preview it (a dry run).
            job = import_job_store(
                user=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                dry_run=True,
            )
            import_job_start(job)
            return redirect("imports:detail", pk=job.pk)
    kinds = [value for value, _label in form.fields["kind"].choices]
    guides = [(value, ImportKind(value).label, columns_of(value)) for value in kinds]
    return render(request, "assessments/imports/upload.html", {"form": form, "guides": guides})


@role_required(*ALL_ROLES)
def import_template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """A file to fill in: the kind's Chinese headers and one example row (importing/guide.py)."""
    if not _may_upload(request.user) or kind not in ImportKind.values:
        raise Http404
    if kind == ImportKind.DEALERS and not request.user.is_hq:
        raise Http404
    header, example = template_rows(kind)
    return export_response([example], header, fmt, f"template-{kind}", sheet_title=kind)


@role_required(*ALL_ROLES)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_jobs(request).select_related("user"), pk=pk)
    return render(
        request,
        "assessments/imports/detail.html",
        {
            "job": job,
            "finished": job.status in FINISHED,
            "may_import": job.status == ImportStatus.PREVIEWED and job.rejected == 0 and job.rows_total > 0,
            "may_import_valid": (
                job.status == ImportStatus.PREVIEWED
                and job.rejected > 0
                and job.created + job.updated + job.unchanged > 0
            ),
            "more_errors": job.rejected > len({e["row"] for e in job.errors}) or len(job.errors) >= 1000,
            "may_download_original": _uploaded_by(job, request.user),
        },
    )


@require_POST
@role_required(*ALL_ROLES)
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a previewed file: all of it (atomic) or only its valid rows."""
    preview = get_object_or_404(_jobs(request), pk=pk)
    if preview.status != ImportStatus.PREVIEWED or not preview.upload:
        raise Http404
    partial = request.POST.get("mode") == "partial"
    job = ImportJob.objects.create(
        kind=preview.kind,
        user=request.user,
        dealer=preview.dealer,
        file_name=preview.file_name,
        file_size=preview.file_size,
        checksum=preview.checksum,
        upload=preview.upload.name,
        partial=partial,
        dry_run=False,
        rows_total=preview.rows_total,
    )
    import_job_start(job, estimated_rows=preview.rows_total)
    return redirect("imports:detail", pk=job.pk)


@require_GET
@role_required(*ALL_ROLES)
def import_progress(request: HttpRequest, pk: int) -> JsonResponse:
    from .tasks import sweep_if_due

    sweep_if_due()
    job = get_object_or_404(_jobs(request), pk=pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_display": job.get_status_display(),
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "percent": job.progress_percent,
            "finished": job.status in FINISHED,
            "url": reverse("imports:detail", args=[job.pk]),
        }
    )


@require_GET
@role_required(*ALL_ROLES)
def import_errors_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The row errors as a table: row, column, reason."""
    job = get_object_or_404(_jobs(request), pk=pk)
    rows = [(e["row"], e["column"], e["message"]) for e in job.errors]
    response = HttpResponse(
        write_csv(rows, [_("Row"), _("Column"), _("Error")]), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@require_GET
@role_required(*ALL_ROLES)
def import_error_file(request: HttpRequest, pk: int) -> FileResponse:
    """The rejected rows, whole, each with its error."""
    job = get_object_or_404(_jobs(request), pk=pk)
    if not job.error_file:
        raise Http404
    return FileResponse(
        job.error_file.open("rb"),
        as_attachment=True,
        filename=f"import-{job.pk}-rejected-rows.csv",
        content_type="text/csv; charset=utf-8",
    )


@require_GET
@role_required(*ALL_ROLES)
def import_original_file(request: HttpRequest, pk: int) -> FileResponse:
    """The file as it was uploaded, untouched (its cells are not neutralised): for its
    uploader only. Everyone else in scope gets the error file, whose cells are safe to open."""
    job = get_object_or_404(_jobs(request), pk=pk)
    if not _uploaded_by(job, request.user):
        raise Http404
    return FileResponse(job.upload.open("rb"), as_attachment=True, filename=job.file_name)


def _uploaded_by(job: ImportJob, user: Any) -> bool:
    """Whether `user` uploaded the file kept on `job`. A confirmed preview shares its file:
    whoever confirmed someone else's upload did not upload it."""
    if not job.upload or job.user_id != user.pk:
        return False
    earlier = ImportJob.objects.filter(upload=job.upload.name, pk__lt=job.pk)
    return not earlier.exclude(user=user).exists()
