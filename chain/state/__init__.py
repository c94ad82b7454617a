"""Accounts, stakes, contract memories, commitments and stores."""
