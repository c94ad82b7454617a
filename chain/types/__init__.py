"""Newtypes, frozen containers and the byte-exact codec (reference/dusk-protocol.md §2)."""
