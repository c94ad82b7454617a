"""Builders and harnesses for tests and operators: the consensus simulator."""
