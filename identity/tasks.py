"""Celery tasks of the identity app: KYC expiry."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="identity.tasks.kyc_credentials_expire")
def kyc_credentials_expire() -> int:
    """Beat (``GLOAM_KYC_EXPIRY_SECONDS``, 60 s): mark credentials past their expiry
    ``expired`` and send ``kyc_claims_lapsed``; returns how many."""
    from identity.kyc_services import kyc_credentials_expire as expire

    return expire()
