"""Proof jobs page (issue 17 item 6): the caller's proof jobs (all for regulators and
operators) with their status and progress; the table refreshes itself with htmx every few
seconds while a job is queued or proving. No inline script or style (CSP): the progress bar is
an HTML ``<progress>`` element."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from frontend.views import page_for, paginate, query_filters
from identity.authentication import request_user
from proving.models import ProofJob
from proving.selectors import proof_job_list

FILTERS = ("status", "circuit")


def _context(request: HttpRequest) -> dict[str, object]:
    filters = query_filters(request, FILTERS)
    if filters.get("status") not in (None, *ProofJob.Status.values):
        filters.pop("status")
    page = paginate(request, proof_job_list(user=request_user(request), filters=filters))
    running = any(job.status in (ProofJob.Status.QUEUED, ProofJob.Status.PROVING) for job in page)
    return {"page": page, "filters": filters, "statuses": ProofJob.Status.choices, "running": running}


@page_for("frontend:proof-jobs")
def proof_jobs(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/proving/proof_jobs.html", _context(request))


@page_for("frontend:proof-jobs")
def proof_jobs_table(request: HttpRequest) -> HttpResponse:
    """htmx partial: the table, polled by the page."""
    return render(request, "frontend/proving/_proof_jobs_table.html", _context(request))
