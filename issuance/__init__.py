"""Issuance: instruments, terms, approvals, primary allocation, register (corporate actions
and voting: the ``corporate_actions`` app).

Filled from issue 6 on (DESIGN.md, Layout).
"""
