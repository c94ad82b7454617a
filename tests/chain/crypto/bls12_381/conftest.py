"""Every test that takes ``backend`` runs once per BLS backend (py_ecc's ``lib`` fixture habit)."""

from __future__ import annotations

import pytest

from chain.crypto.bls12_381 import BACKEND_NAMES, BlsBackendAPI, get_backend


@pytest.fixture(params=BACKEND_NAMES)
def backend(request: pytest.FixtureRequest) -> BlsBackendAPI:
    return get_backend(request.param)
