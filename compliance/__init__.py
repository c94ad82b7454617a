"""Compliance: rule sets, pre-trade checks, breaches, freezes, audit trail, disclosures.

Filled from issue 8 on (DESIGN.md, Layout).
"""
