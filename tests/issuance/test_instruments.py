"""Instruments: identifiers, every bad input of issue 6, maker-checker, audit, concurrency."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from common.exceptions import ConflictError, InvalidInput, PermissionDeniedError
from common.models import AuditEntry
from identity.roles import Role
from issuance import services
from issuance.models import Instrument, InstrumentDocument, InstrumentStatus, compute_isin_from_cusip

pytestmark = pytest.mark.django_db


def _pdf() -> bytes:
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_cusip_derives_the_isin():
    assert compute_isin_from_cusip("91282CFE6") == "US91282CFE66"
    assert compute_isin_from_cusip("037833100") == "US0378331005"  # Apple Inc.


def test_create_derives_isin_from_cusip(maker, bond_terms):
    terms = bond_terms | {
        "isin": "",
        "cusip": "91282CFE6",
        "currency": "USD",
        "calendar": "us_government_bond",
    }
    instrument = services.instrument_create(actor=maker, terms=terms)
    assert instrument.isin == "US91282CFE66"
    assert instrument.status == InstrumentStatus.DRAFT
    assert instrument.created_by == maker


def test_create_accepts_a_valid_cfi(maker, bond_terms):
    instrument = services.instrument_create(actor=maker, terms=bond_terms | {"cfi_code": "DBFTFB"})
    assert instrument.cfi_code == "DBFTFB"


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"isin": "XS0000000008"}, "isin", "not a valid ISIN"),
        ({"isin": "", "cusip": "91282CFE7"}, "cusip", "not a valid CUSIP"),
        ({"cusip": "91282CFE6"}, "isin", "The ISIN of CUSIP 91282CFE6 is US91282CFE66"),
        ({"cfi_code": "QQQQQQ"}, "cfi_code", "not a valid CFI"),
        ({"currency": "EUX"}, "currency", "not an ISO 4217 currency"),
        ({"maturity_date": datetime.date(2025, 1, 1)}, "maturity_date", "after the issue date"),
        ({"day_count": "act_act_bogus"}, "day_count", "not a valid choice"),
        ({"calendar": "mars"}, "calendar", "not a valid choice"),
        ({"business_day_convention": "whenever"}, "business_day_convention", "not a valid choice"),
        ({"coupon_rate": None}, "coupon_rate", "needs a coupon rate"),
        ({"coupon_frequency": ""}, "coupon_frequency", "Required"),
        ({"minimum_denomination": Decimal("10")}, "minimum_denomination", "cannot be less"),
    ],
)
def test_invalid_terms_give_clear_messages_and_save_nothing(maker, bond_terms, changes, field, fragment):
    with pytest.raises(ValidationError) as caught:
        services.instrument_create(actor=maker, terms=bond_terms | changes)
    assert fragment in " ".join(caught.value.message_dict[field])
    assert not Instrument.objects.exists()
    assert not AuditEntry.objects.filter(action="instrument.create").exists()


def test_invalid_duplicate_isin_is_a_conflict(maker, bond_terms):
    services.instrument_create(actor=maker, terms=bond_terms)
    with pytest.raises(ConflictError) as caught:
        services.instrument_create(actor=maker, terms=bond_terms | {"name": "Again"})
    assert caught.value.code == "duplicate_isin"
    assert Instrument.objects.count() == 1


def test_invalid_create_by_non_admin(approver, bond_terms):
    with pytest.raises(PermissionDeniedError):
        services.instrument_create(actor=approver, terms=bond_terms)
    assert not Instrument.objects.exists()


def test_maker_checker_happy_path_and_audit(maker, approver, bond_terms):
    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    services.instrument_update(
        actor=maker, instrument_id=instrument.pk, changes={"coupon_rate": Decimal("3.75")}
    )
    services.instrument_submit(actor=maker, instrument_id=instrument.pk)
    services.instrument_approve(actor=approver, instrument_id=instrument.pk)
    instrument.refresh_from_db()
    assert instrument.status == InstrumentStatus.APPROVED
    assert instrument.approved_by == approver
    assert instrument.submitted_by == maker
    entries = list(AuditEntry.objects.filter(object_id=str(instrument.pk)).order_by("created_at"))
    assert [e.action for e in entries] == [
        "instrument.create",
        "instrument.update",
        "instrument.submitted",
        "instrument.approved",
    ]
    assert entries[1].changes == {"coupon_rate": {"old": "3.500000", "new": "3.75"}}
    assert entries[1].actor == maker
    assert entries[3].changes["status"] == {"old": "submitted", "new": "approved"}
    assert entries[3].actor == approver


def test_invalid_maker_cannot_approve_even_holding_the_approver_role(make_user, issuer, bond_terms):
    both = make_user(issuer, Role.ISSUER_ADMIN, Role.ISSUER_APPROVER)
    instrument = services.instrument_create(actor=both, terms=bond_terms)
    services.instrument_submit(actor=both, instrument_id=instrument.pk)
    with pytest.raises(PermissionDeniedError) as caught:
        services.instrument_approve(actor=both, instrument_id=instrument.pk)
    assert caught.value.code == "maker_cannot_approve"
    instrument.refresh_from_db()
    assert instrument.status == InstrumentStatus.SUBMITTED
    assert not AuditEntry.objects.filter(action="instrument.approved").exists()


def test_invalid_non_approver_cannot_approve(maker, make_user, issuer, bond_terms, broker_a):
    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    services.instrument_submit(actor=maker, instrument_id=instrument.pk)
    other_admin = make_user(issuer, Role.ISSUER_ADMIN)
    with pytest.raises(PermissionDeniedError):
        services.instrument_approve(actor=other_admin, instrument_id=instrument.pk)
    instrument.refresh_from_db()
    assert instrument.status == InstrumentStatus.SUBMITTED


def test_invalid_second_approval_is_a_conflict(maker, approver, make_user, issuer, bond_terms):
    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    services.instrument_submit(actor=maker, instrument_id=instrument.pk)
    services.instrument_approve(actor=approver, instrument_id=instrument.pk)
    with pytest.raises(ConflictError) as caught:
        services.instrument_approve(
            actor=make_user(issuer, Role.ISSUER_APPROVER), instrument_id=instrument.pk
        )
    assert caught.value.code == "invalid_transition"
    assert AuditEntry.objects.filter(action="instrument.approved").count() == 1


def test_reject_returns_to_draft_with_comment(maker, approver, bond_terms):
    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    services.instrument_submit(actor=maker, instrument_id=instrument.pk)
    with pytest.raises(InvalidInput):
        services.instrument_reject(actor=approver, instrument_id=instrument.pk, comment="  ")
    services.instrument_reject(actor=approver, instrument_id=instrument.pk, comment="Wrong calendar")
    instrument.refresh_from_db()
    assert instrument.status == InstrumentStatus.DRAFT
    assert instrument.rejection_comment == "Wrong calendar"
    entry = AuditEntry.objects.get(action="instrument.draft")
    assert entry.changes == {"status": {"old": "submitted", "new": "draft"}, "comment": "Wrong calendar"}


def test_invalid_edit_after_submission(maker, bond_terms):
    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    services.instrument_submit(actor=maker, instrument_id=instrument.pk)
    with pytest.raises(ConflictError):
        services.instrument_update(actor=maker, instrument_id=instrument.pk, changes={"name": "X"})


def test_pdf_upload_stores_sha256(maker, bond_terms):
    import hashlib

    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    content = _pdf()
    document = services.instrument_document_upload(
        actor=maker,
        instrument_id=instrument.pk,
        kind="prospectus",
        uploaded_file=SimpleUploadedFile("prospectus.pdf", content, content_type="application/pdf"),
    )
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.file.read() == content
    assert (
        AuditEntry.objects.get(action="instrument.document_upload").changes["document"]["sha256"]
        == document.sha256
    )


@pytest.mark.parametrize("content", [b"hello, not a PDF", b"%PDF-1.7\nthis is not really a pdf"])
def test_invalid_a_pdf_that_is_not_a_pdf(maker, bond_terms, content):
    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    with pytest.raises(InvalidInput) as caught:
        services.instrument_document_upload(
            actor=maker,
            instrument_id=instrument.pk,
            kind="prospectus",
            uploaded_file=SimpleUploadedFile("fake.pdf", content, content_type="application/pdf"),
        )
    assert caught.value.code == "invalid_pdf"
    assert not InstrumentDocument.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need Postgres (SQLite serialises writers)"
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_one_passes(maker, make_user, issuer, bond_terms):
    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    services.instrument_submit(actor=maker, instrument_id=instrument.pk)
    approvers = [make_user(issuer, Role.ISSUER_APPROVER) for _ in range(2)]
    results: list[str] = []
    barrier = threading.Barrier(2)

    def approve(user):
        barrier.wait()
        try:
            services.instrument_approve(actor=user, instrument_id=instrument.pk)
            results.append("ok")
        except ConflictError:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    assert AuditEntry.objects.filter(action="instrument.approved").count() == 1
