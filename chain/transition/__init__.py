"""``state_transition``, ``process_block``, ``process_transaction``."""
