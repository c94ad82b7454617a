"""Issuance: instruments, terms, approvals, primary allocation, register, corporate actions.

Filled from issue 6 on (DESIGN.md, Layout).
"""
