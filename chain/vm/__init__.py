"""The wasmtime contract host (reference/dusk-protocol.md §4)."""
