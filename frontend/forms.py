"""Forms of the UI pages. They only shape input; the services validate and write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from common.text import validate_multiline_text, validate_name, validate_reference
from corporate_actions.models import CorporateActionKind
from corporate_actions.services import MAX_SPLIT_TERM
from issuance.conventions import BusinessDayConvention, Calendar, CouponFrequency, DayCount
from issuance.models import DocumentKind, InstrumentKind, IssuerSector, IssueSizeUnit


def _blank(choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


class InstrumentForm(forms.Form):
    """The terms of ``issuance.services.TERM_FIELDS``."""

    name = forms.CharField(max_length=200, validators=[validate_name])
    kind = forms.ChoiceField(choices=InstrumentKind.choices)
    isin = forms.CharField(
        label="ISIN", max_length=12, required=False, help_text="Derived from the CUSIP if empty."
    )
    cusip = forms.CharField(label="CUSIP", max_length=9, required=False)
    cfi_code = forms.CharField(label="CFI code", max_length=6, required=False)
    currency = forms.CharField(max_length=3, initial="EUR", help_text="ISO 4217")
    face_value = forms.DecimalField(max_digits=20, decimal_places=6, initial=100)
    minimum_denomination = forms.DecimalField(max_digits=20, decimal_places=6, initial=100)
    issue_size = forms.DecimalField(max_digits=24, decimal_places=6)
    issue_size_unit = forms.ChoiceField(choices=IssueSizeUnit.choices)
    issue_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    dated_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    maturity_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    coupon_rate = forms.DecimalField(
        max_digits=9, decimal_places=6, required=False, help_text="Percent per annum."
    )
    coupon_frequency = forms.ChoiceField(choices=_blank(CouponFrequency.choices), required=False)
    day_count = forms.ChoiceField(choices=_blank(DayCount.choices), required=False)
    business_day_convention = forms.ChoiceField(choices=_blank(BusinessDayConvention.choices), required=False)
    calendar = forms.ChoiceField(choices=_blank(Calendar.choices), required=False)
    end_of_month = forms.BooleanField(required=False)
    floating_index = forms.CharField(max_length=100, required=False)
    floating_spread = forms.DecimalField(max_digits=9, decimal_places=6, required=False)
    inflation_linked = forms.BooleanField(required=False)
    issuer_sector = forms.ChoiceField(
        choices=IssuerSector.choices,
        initial=IssuerSector.OTHER,
        required=False,
        label="Issuer (CSDR penalty class)",
    )
    liquid_market = forms.BooleanField(required=False, label="Liquid market (shares, MiFIR)")
    sme_growth_market = forms.BooleanField(required=False, label="Traded on an SME growth market")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for bound_name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select form-select-sm"
            else:
                widget.attrs["class"] = "form-control form-control-sm"
            widget.attrs["id"] = f"id_{bound_name}"

    def terms(self) -> dict[str, Any]:
        """The cleaned terms, with empty optional values as the model stores them."""
        data = dict(self.cleaned_data)
        for name in (
            "isin",
            "cusip",
            "cfi_code",
            "coupon_frequency",
            "day_count",
            "business_day_convention",
            "calendar",
            "floating_index",
        ):
            data[name] = data.get(name) or ""
        data["issuer_sector"] = data.get("issuer_sector") or IssuerSector.OTHER
        return data

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(
        choices=DocumentKind.choices, widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )
    file = forms.FileField(
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control form-control-sm", "accept": "application/pdf"}
        )
    )


class RejectForm(forms.Form):
    comment = forms.CharField(
        max_length=2000,
        validators=[validate_multiline_text],
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )


class AllocationRowForm(forms.Form):
    """One allocation row as typed: ``issuance.allocation.validate_allocation_rows`` checks it
    (here every field is optional text, so the preview can report every error by row)."""

    investor_lei = forms.CharField(label="Investor LEI", max_length=20, required=False)
    broker_lei = forms.CharField(label="Broker LEI", max_length=20, required=False)
    client_account = forms.CharField(
        label="Client account", max_length=35, required=False, validators=[validate_reference]
    )
    quantity = forms.CharField(max_length=40, required=False)
    price = forms.CharField(max_length=40, required=False)

    def row(self) -> dict[str, str]:
        """The row as the allocation services take it (empty when nothing was typed)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {name: str(data.get(name) or "").strip() for name in self.fields}


AllocationRowFormSet = forms.formset_factory(AllocationRowForm, extra=5, max_num=200, absolute_max=200)


class AllocationCsvForm(forms.Form):
    file = forms.FileField(
        label="Allocation CSV",
        help_text="UTF-8; columns investor_lei, broker_lei, client_account, quantity, price.",
    )


class CycleRunForm(forms.Form):
    """An operator runs a netting cycle now over what is due by ``cycle_date`` (default today)."""

    cycle_date = forms.DateField(
        required=False,
        widget=forms.DateInput(
            format="%Y-%m-%d", attrs={"type": "date", "class": "form-control form-control-sm"}
        ),
    )


class FailsDateForm(forms.Form):
    """The fails report's date (default today)."""

    date = forms.DateField(
        required=False,
        widget=forms.DateInput(
            format="%Y-%m-%d", attrs={"type": "date", "class": "form-control form-control-sm"}
        ),
    )


class CorporateActionForm(forms.Form):
    """An event proposed on the corporate actions page: the arguments of
    ``corporate_actions.services.corporate_action_create``, which checks the rules (positive
    amount, record date not after the payment date, a coupon date, …). Sizes are the model's,
    so a number that would not fit is refused here rather than by the database."""

    instrument = forms.UUIDField()
    kind = forms.ChoiceField(choices=CorporateActionKind.choices)
    payment_date = forms.DateField()
    record_date = forms.DateField(required=False)
    amount_per_unit = forms.DecimalField(max_digits=30, decimal_places=12, required=False)
    call_fraction = forms.DecimalField(max_digits=11, decimal_places=10, required=False)
    split_numerator = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_SPLIT_TERM, label="New units"
    )
    split_denominator = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_SPLIT_TERM, label="For old units"
    )

    def error_text(self) -> str:
        """Every field error on one line, each named by its label."""
        return " ".join(
            f"{self[name].label}: {' '.join(map(str, errors))}"
            if name in self.fields
            else " ".join(map(str, errors))
            for name, errors in self.errors.items()
        )


class ShieldedCashForm(forms.Form):
    """The shielded cash page's forms (``action``: shield, send or unshield): an amount in EUR
    with whole cents and, for a send, the receiving broker's LEI. The services check the rest
    (balances, notes, the receiver)."""

    action = forms.ChoiceField(choices=[("shield", "Shield"), ("send", "Send"), ("unshield", "Unshield")])
    amount = forms.DecimalField(
        max_digits=22, decimal_places=2, min_value=Decimal("0.01"), label="Amount (EUR)"
    )
    receiver_lei = forms.CharField(label="Receiver LEI", max_length=20, min_length=20, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "send" and not data.get("receiver_lei"):
            self.add_error("receiver_lei", "A send needs the receiving broker's LEI.")
        return data

    def error_text(self) -> str:
        return " ".join(
            f"{self[name].label}: {' '.join(map(str, errors))}"
            if name in self.fields
            else " ".join(map(str, errors))
            for name, errors in self.errors.items()
        )
