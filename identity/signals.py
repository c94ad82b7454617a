"""Signals the identity app sends for other apps (the compliance app listens).

``kyc_claims_lapsed``: claims of some chain accounts stopped counting on chain (a credential
expired, was revoked or erased, or its issuer stopped being trusted), so holders may now be
out of compliance. Sent inside the transaction that records the change (receivers' writes
commit with it) with keyword arguments:

- ``chain_account_ids``: ``list[str]``, the subjects' ``ChainAccount`` ids;
- ``topics``: ``list[int]``, the claim topics that lapsed (``contract_abi.ClaimTopic``);
- ``reason``: ``"expired"``, ``"revoked"``, ``"erased"`` or ``"issuer_untrusted"``.
"""

from __future__ import annotations

from django.dispatch import Signal

kyc_claims_lapsed = Signal()
