"""Settlement in the UI: the instructions (list with filters, detail with the status history,
cancel), the netting cycle dashboard (gross versus net chart, run a cycle now, detail with
the excluded instructions), the fails report and the Final cash balances.

They compose ``settlement.selectors``, ``settlement.fails`` and ``settlement.cash`` and call
``settlement.services.instruction_cancel`` and ``settlement.netting_services``. Brokers see
their own instructions, fails and cash; operators and regulators see every participant's
and the netting cycles (the selectors decide the scope).
"""

from __future__ import annotations

import datetime
import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chain.node.client import RpcError
from common.business_date import get_business_date
from common.exceptions import ApplicationError, ChainUnavailable, NotFoundError, PermissionDeniedError
from frontend.forms import CycleRunForm, FailsDateForm
from frontend.views import page_for, paginate, query_filters
from identity.authentication import request_user
from identity.models import Organisation, User
from identity.roles import BROKER_ROLES, Role
from ledger.selectors import indexer_position
from settlement import cash, fails, netting_services, selectors, services
from settlement.models import (
    CycleStatus,
    InstructionStatus,
    NettingCycle,
    PendingReason,
    SettlementInstruction,
    Side,
)

INSTRUCTION_FILTERS = ("status", "side", "isin", "counterparty_lei", "trade_date", "intended_settlement_date")
#: Statuses in which the broker may still cancel its instruction (``instruction_cancel``).
CANCELLABLE = (InstructionStatus.RECEIVED, InstructionStatus.UNMATCHED)
#: Cycles drawn in the gross versus net chart (the latest, oldest first).
CHART_CYCLES = 20
CENTS = Decimal(100)


def _field_label(name: str) -> str:
    try:
        model_field = SettlementInstruction._meta.get_field(name)
    except LookupError:
        return name.replace("_", " ")
    return str(getattr(model_field, "verbose_name", name.replace("_", " ")))


def match_differences(instruction: SettlementInstruction) -> list[str]:
    """The fields of an unmatched instruction that differ from the counterparty's nearest
    instruction, as words (its ``match_report``)."""
    return [
        _field_label(str(entry.get("field", "")))
        for entry in instruction.match_report
        if isinstance(entry, dict)
    ]


def can_cancel(user: User, instruction: SettlementInstruction) -> bool:
    """A broker's trader or back office cancels its own instruction before it is matched."""
    return (
        user.has_role(*BROKER_ROLES)
        and user.organisation_id == instruction.broker_id
        and instruction.status in CANCELLABLE
    )


# -- instructions -----------------------------------------------------------------------------
@page_for("frontend:instructions")
def instruction_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    filters = query_filters(request, INSTRUCTION_FILTERS)
    filter_error = ""
    try:
        queryset = selectors.instruction_list(user=user, filters=filters)
    except ValidationError as exc:
        queryset = selectors.instruction_list(user=user).none()
        filter_error = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in exc.message_dict.items())
    page = paginate(request, queryset.select_related("matched_with"))
    for instruction in page:
        instruction.differences = match_differences(instruction)
        instruction.cancellable = can_cancel(user, instruction)
    return render(
        request,
        "frontend/settlement/instructions.html",
        {
            "page": page,
            "filters": filters,
            "filter_error": filter_error,
            "statuses": InstructionStatus.choices,
            "sides": Side.choices,
            "sees_all": user.is_superuser or user.has_role(Role.OPERATOR, Role.REGULATOR),
        },
    )


def _instruction(request: HttpRequest, instruction_id: uuid.UUID) -> SettlementInstruction:
    try:
        return selectors.instruction_get(user=request_user(request), instruction_id=instruction_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc


@page_for("frontend:instructions")
def instruction_detail(request: HttpRequest, instruction_id: uuid.UUID) -> HttpResponse:
    user = request_user(request)
    instruction = _instruction(request, instruction_id)
    matched = instruction.matched_with
    context = {
        "instruction": instruction,
        "events": instruction.events.order_by("id"),
        "differences": match_differences(instruction),
        "can_cancel": can_cancel(user, instruction),
        # The counterparty's reference once matched (its page is the counterparty's to see).
        "matched_reference": None if matched is None else matched.reference,
        "cycle_visible": instruction.cycle_id is not None
        and (user.is_superuser or user.has_role(Role.OPERATOR, Role.REGULATOR)),
    }
    return render(request, "frontend/settlement/instruction_detail.html", context)


@page_for("frontend:instructions")
@require_POST
def instruction_cancel(request: HttpRequest, instruction_id: uuid.UUID) -> HttpResponse:
    instruction = _instruction(request, instruction_id)
    try:
        services.instruction_cancel(actor=request_user(request), instruction_id=instruction.pk)
        messages.success(request, f"Instruction {instruction.reference} cancelled.")
    except PermissionDeniedError as exc:
        raise PermissionDenied from exc
    except NotFoundError as exc:  # not the caller's own broker's instruction
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("frontend:instruction-detail", instruction_id=instruction.pk)


# -- netting cycles ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CashObligations:
    """One currency's gross and net cash obligations in a cycle, and the netting efficiency."""

    currency: str
    gross: Decimal
    net: Decimal
    efficiency_percent: str


@dataclass
class CycleRow:
    """A netting cycle as the dashboard shows it: its report, how many of its instructions
    settled, how many were taken out, and its finality latency."""

    cycle: NettingCycle
    settled: int = 0
    in_cycle: int = 0
    currencies: list[str] = field(default_factory=list)

    @property
    def report(self) -> dict[str, Any]:
        return self.cycle.report or {}

    @property
    def excluded(self) -> int:
        return len(self.cycle.excluded or [])

    @property
    def cash(self) -> list[CashObligations]:
        """Cash obligations per currency (``report["cash"]``). A report written before cash
        was kept per currency holds one sum: shown when the cycle had one currency, else
        nothing (amounts of different currencies are never shown added)."""
        by_currency = self.report.get("cash")
        if by_currency is None:
            gross, net = _cash(self.report.get("gross_cash_cents")), _cash(self.report.get("net_cash_cents"))
            if len(self.currencies) != 1 or gross is None or net is None:
                return []
            efficiency = str(self.report.get("cash_efficiency_percent", ""))
            return [CashObligations(self.currencies[0], gross, net, efficiency)]
        return [
            CashObligations(
                currency,
                _cash(line["gross_cents"]) or Decimal(0),
                _cash(line["net_cents"]) or Decimal(0),
                str(line["efficiency_percent"]),
            )
            for currency, line in sorted(by_currency.items())
        ]

    @property
    def gross_securities(self) -> int | None:
        return _int(self.report.get("gross_securities_units"))

    @property
    def net_securities(self) -> int | None:
        return _int(self.report.get("net_securities_units"))

    @property
    def latency(self) -> datetime.timedelta | None:
        """Finality latency: from the cycle's start to its batch's Final block."""
        if self.cycle.settled_at is None:
            return None
        return self.cycle.settled_at - self.cycle.created_at

    @property
    def latency_seconds(self) -> str:
        latency = self.latency
        return "" if latency is None else f"{latency.total_seconds():.1f}"


def _cash(cents: Any) -> Decimal | None:
    return None if cents is None else (Decimal(int(cents)) / CENTS).quantize(Decimal("0.01"))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def cycle_rows(cycles: list[NettingCycle]) -> list[CycleRow]:
    """The rows of ``cycles`` with their settled counts and currencies (one query)."""
    rows = {cycle.pk: CycleRow(cycle) for cycle in cycles}
    counts = (
        SettlementInstruction.objects.filter(cycle__in=list(rows))
        .values("cycle_id", "status", "currency")
        .annotate(n=Count("id"))
    )
    for count in counts:
        row = rows[count["cycle_id"]]
        row.in_cycle += count["n"]
        if count["status"] == InstructionStatus.SETTLED:
            row.settled += count["n"]
        if count["currency"] not in row.currencies:
            row.currencies.append(count["currency"])
    for row in rows.values():
        row.currencies.sort()
    return [rows[cycle.pk] for cycle in cycles]


def _chart(rows: list[CycleRow]) -> dict[str, Any]:
    """Gross versus net obligations per cycle, oldest first, for the dashboard's charts: one
    cash series per currency, one securities series."""
    drawn = [row for row in reversed(rows[:CHART_CYCLES]) if row.gross_securities is not None]

    def number(value: Decimal | int | None) -> float:
        return 0.0 if value is None else float(value)

    currencies = sorted({line.currency for row in drawn for line in row.cash})
    cash = []
    for currency in currencies:
        lines = [next((line for line in row.cash if line.currency == currency), None) for row in drawn]
        cash.append(
            {
                "unit": currency,
                "gross": [number(line.gross if line else None) for line in lines],
                "net": [number(line.net if line else None) for line in lines],
            }
        )
    return {
        "labels": [f"{row.cycle.cycle_date:%Y-%m-%d} #{str(row.cycle.pk)[:8]}" for row in drawn],
        "cash": cash,
        "securities": {
            "unit": "units",
            "gross": [number(row.gross_securities) for row in drawn],
            "net": [number(row.net_securities) for row in drawn],
        },
    }


def _cycles(request: HttpRequest) -> Any:
    try:
        return selectors.netting_cycle_list(user=request_user(request))
    except PermissionDeniedError as exc:
        raise PermissionDenied from exc


def _cycle_page(request: HttpRequest, form: CycleRunForm | None = None, status: int = 200) -> HttpResponse:
    user = request_user(request)
    page = paginate(request, _cycles(request))
    rows = cycle_rows(list(page))
    latencies = [row.latency.total_seconds() for row in rows if row.latency is not None]
    context = {
        "page": page,
        "filters": {},
        "rows": rows,
        "chart": _chart(rows),
        "summary": {
            "settled_cycles": sum(1 for row in rows if row.cycle.status == CycleStatus.SETTLED),
            "settled": sum(row.settled for row in rows),
            "excluded": sum(row.excluded for row in rows),
            "median_latency": f"{statistics.median(latencies):.1f}" if latencies else "",
        },
        "indexer": indexer_position(),
        "can_run": user.has_role(Role.OPERATOR),
        "run_form": form or CycleRunForm(initial={"cycle_date": get_business_date()}),
    }
    return render(request, "frontend/settlement/cycles.html", context, status=status)


@page_for("frontend:cycles")
def cycle_list(request: HttpRequest) -> HttpResponse:
    return _cycle_page(request)


@page_for("frontend:cycles")
@require_POST
def cycle_run(request: HttpRequest) -> HttpResponse:
    """An operator runs a netting cycle now (``netting_cycle_start``); it goes on chain
    through the outbox and settles when its batch's block is Final."""
    _cycles(request)
    form = CycleRunForm(request.POST)
    if not form.is_valid():
        return _cycle_page(request, form, status=400)
    try:
        cycle = netting_services.netting_cycle_start(
            actor=request_user(request), cycle_date=form.cleaned_data["cycle_date"]
        )
    except PermissionDeniedError as exc:
        raise PermissionDenied from exc
    except ChainUnavailable as exc:
        messages.error(request, f"The nodes did not answer ({exc.message}); no cycle was started.")
        return redirect("frontend:cycles")
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("frontend:cycles")
    except RpcError as exc:  # a node stopped answering in the middle: the cycle rolled back
        messages.error(request, f"The nodes did not answer ({exc.reason}); no cycle was started.")
        return redirect("frontend:cycles")
    if cycle is None:
        messages.info(request, "Nothing is due: no matched instruction waits for a cycle.")
        return redirect("frontend:cycles")
    messages.success(
        request,
        f"Netting cycle started over {cycle.report.get('instructions', 0)} instruction(s); "
        "it settles when its batch's block is Final.",
    )
    return redirect("frontend:cycle-detail", cycle_id=cycle.pk)


@dataclass(frozen=True)
class ExcludedRow:
    reference: str
    broker: str
    lei: str
    reason: str
    detail: str


@page_for("frontend:cycles")
def cycle_detail(request: HttpRequest, cycle_id: uuid.UUID) -> HttpResponse:
    try:
        cycle = selectors.netting_cycle_get(user=request_user(request), cycle_id=cycle_id)
    except PermissionDeniedError as exc:
        raise PermissionDenied from exc
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    row = cycle_rows([cycle])[0]
    instructions = cycle.instructions.select_related("broker", "instrument").order_by("broker__legal_name")
    leis = {str(entry.get("broker", "")) for entry in cycle.excluded if isinstance(entry, dict)}
    names = dict(Organisation.objects.filter(lei__in=leis).values_list("lei", "legal_name"))
    reasons = dict(PendingReason.choices)
    excluded = [
        ExcludedRow(
            reference=str(entry.get("reference", "")),
            broker=names.get(str(entry.get("broker", "")), ""),
            lei=str(entry.get("broker", "")),
            reason=str(reasons.get(str(entry.get("reason", "")), entry.get("reason", ""))),
            detail=str(entry.get("detail", "")),
        )
        for entry in cycle.excluded
        if isinstance(entry, dict)
    ]
    context = {
        "cycle": cycle,
        "row": row,
        "instructions": instructions,
        "excluded": excluded,
        "indexer": indexer_position(),
    }
    return render(request, "frontend/settlement/cycle_detail.html", context)


# -- fails ------------------------------------------------------------------------------------
@page_for("frontend:fails")
def fails_page(request: HttpRequest) -> HttpResponse:
    """The fails report at ``?date=`` (default today): per participant, the failing
    instructions with days outstanding and the penalty accrued, and the totals."""
    form = FailsDateForm(request.GET if "date" in request.GET else None)
    day = get_business_date()
    report: list[fails.ParticipantFails] = []
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        if form.is_bound and form.cleaned_data["date"] is not None:
            day = form.cleaned_data["date"]
        report = fails.fails_report(user=request_user(request), today=day)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    count = 0
    for participant in report:
        for line in participant.instructions:
            totals[str(line["currency"])] += Decimal(str(line["penalty"]))
            count += 1
    return render(
        request,
        "frontend/settlement/fails.html",
        {
            "form": form,
            "day": day,
            "report": report,
            "totals": sorted(totals.items()),
            "count": count,
            "reasons": dict(PendingReason.choices),
        },
        status=status,
    )


# -- cash -------------------------------------------------------------------------------------
@page_for("frontend:cash")
def cash_balances(request: HttpRequest) -> HttpResponse:
    error = ""
    balances: list[cash.CashBalance] = []
    try:
        balances = cash.cash_balance_list(user=request_user(request))
    except ChainUnavailable as exc:
        error = f"The nodes did not answer ({exc.message}): the cash tokens are not known yet."
    return render(
        request,
        "frontend/settlement/cash.html",
        {"balances": balances, "error": error, "indexer": indexer_position()},
    )
