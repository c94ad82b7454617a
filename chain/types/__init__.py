"""Newtypes, frozen containers and the byte-exact codec (reference/dusk-protocol.md §2).

Every container has ``encode_*``/``decode_*`` functions; decoding rejects short input,
trailing bytes, unknown tags and out-of-range values with
:class:`~chain.types.exceptions.DecodeError`.
"""
