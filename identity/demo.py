"""The demo's identifiers that code below the ``demo`` app shares: the demo users' password
and well-formed made-up LEIs (the demo organisations', the importers' placeholders, the
benchmarks' and the tests').

The LEIs are made up (prefix ``9845`` is not a real LOU's) but carry correct ISO 17442
check digits (ISO 7064 MOD 97-10) computed by python-stdnum. All demo users share one development password.
"""

from __future__ import annotations

from stdnum.iso7064 import mod_97_10

DEFAULT_DEMO_PASSWORD = "gloam-demo-password"  # noqa: S105 - documented development password


def compute_demo_lei(entity: str) -> str:
    """A well-formed LEI ``9845 00 <entity:12> <check:2>`` for a 12-character entity code."""
    base = f"984500{entity.upper():0<12}"[:18]
    return base + mod_97_10.calc_check_digits(base)
