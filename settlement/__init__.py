"""Settlement: trades, matching, netting cycles, DvP instructions, statuses, fails.

Filled from issue 7 on (DESIGN.md, Layout).
"""
