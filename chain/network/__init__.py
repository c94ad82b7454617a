"""Sans-I/O messages and peers, with thin asyncio adapters (Kadcast)."""
