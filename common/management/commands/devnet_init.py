"""``manage.py devnet_init``: the embedded devnet's authority key and genesis, once.

Writes ``var/chain/authority.json`` (the block producer's key) and
``var/chain/genesis.toml`` funding every organisation's chain account with
``--balance`` Lux, using ``python -m chain`` (the apps import no chain internals).
Does nothing if the genesis exists (the chain must keep its genesis).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.env import VAR_DIR, env
from identity.models import ChainAccount

DEFAULT_BALANCE = 1_000_000 * 10**9  # one million units, in Lux


class Command(BaseCommand):
    help = "Create the devnet authority key and genesis under var/chain (once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--balance", type=int, default=DEFAULT_BALANCE, help="Lux per organisation")
        parser.add_argument("--chain-id", type=int, default=env.int("GLOAM_CHAIN_ID", default=71))

    def handle(self, *args: Any, **options: Any) -> None:
        chain_dir = VAR_DIR / "chain"
        genesis, authority = chain_dir / "genesis.toml", chain_dir / "authority.json"
        if genesis.exists():
            self.stdout.write(f"devnet genesis exists: {genesis}")
            return
        chain_dir.mkdir(parents=True, exist_ok=True)
        if not authority.exists():
            self._chain("keys", "--out", str(authority))
        funds = [
            arg
            for key in ChainAccount.objects.order_by("public_key").values_list("public_key", flat=True)
            for arg in ("--fund", f"{key}={options['balance']}")
        ]
        self._chain(
            "genesis",
            "--out",
            str(genesis),
            "--chain-id",
            str(options["chain_id"]),
            "--min-block-time",
            "1",
            *funds,
        )
        self.stdout.write(f"devnet genesis written: {genesis} ({len(funds) // 2} funded accounts)")

    def _chain(self, *args: str) -> None:
        result = subprocess.run(  # noqa: S603 - our own interpreter and CLI, fixed arguments
            [sys.executable, "-m", "chain", *args], capture_output=True, text=True, check=False
        )
        if result.returncode:
            raise CommandError(f"python -m chain {args[0]} failed: {result.stderr.strip()}")
