"""``manage.py devnet_init``: the embedded devnet, once.

Writes ``var/chain/`` with ``python -m chain devnet --init-only`` (the apps import no
chain internals): a key per provisioner (``--nodes``, default 4), ``devnet.json`` with
their RPC ports from ``GLOAM_NODE_PORT`` (default 9100, 9101, …) and their peer hosts from
``GLOAM_NODE_PEER_HOST`` (default 127.0.0.1; ``node-{index}`` in docker/compose.yaml), and a
genesis funding every organisation's chain account with ``--balance`` Lux; the operator's and
the cash issuer's chain accounts become the genesis contracts' ``operator`` (identity registry
admin) and ``cash_issuer`` (the cash tokens' issuer) roles; the ``phoenix`` contract holds shielded
cash in ``GLOAM_SHIELDED_CURRENCY`` (EUR or USD, default EUR). Does nothing if the devnet
exists (the chain must keep its genesis).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.env import VAR_DIR, env
from identity.roles import OrganisationKind
from ledger.models import ChainAccount

DEFAULT_BALANCE = 1_000_000 * 10**9  # one million units, in Lux
#: The devnet's roles (``python -m chain devnet --role``) and the organisation kind that holds each.
GENESIS_ROLES = (("operator", OrganisationKind.OPERATOR), ("cash_issuer", OrganisationKind.CASH_ISSUER))


def _first_account(kind: OrganisationKind) -> ChainAccount | None:
    """The chain account of the oldest organisation of ``kind`` (the registry's admin is the
    operator's, the EUR cash token's issuer the cash issuer's)."""
    return ChainAccount.objects.filter(organisation__kind=kind).order_by("organisation__created_at").first()


class Command(BaseCommand):
    help = "Create the embedded devnet (provisioner keys, genesis, ports) under var/chain, once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--balance", type=int, default=DEFAULT_BALANCE, help="Lux per organisation")
        parser.add_argument("--chain-id", type=int, default=env.int("GLOAM_CHAIN_ID", default=71))
        parser.add_argument("--nodes", type=int, default=env.int("GLOAM_DEVNET_NODES", default=4))
        parser.add_argument(
            "--peer-host",
            default=env.str("GLOAM_NODE_PEER_HOST", default="127.0.0.1"),
            help="where provisioners reach each other: a host, or a template such as node-{index}",
        )
        parser.add_argument(
            "--shielded-currency",
            default=env.str("GLOAM_SHIELDED_CURRENCY", default="EUR"),
            help="the currency of shielded (Phoenix) cash: EUR or USD",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        chain_dir = VAR_DIR / "chain"
        if (chain_dir / "devnet.json").exists():
            self.stdout.write(f"devnet exists: {chain_dir}")
            return
        funds = [
            arg
            for key in ChainAccount.objects.order_by("public_key").values_list("public_key", flat=True)
            for arg in ("--fund", f"{key}={options['balance']}")
        ]
        roles = [
            arg
            for role, kind in (
                ("operator", OrganisationKind.OPERATOR),
                ("cash_issuer", OrganisationKind.CASH_ISSUER),
            )
            if (account := _first_account(kind)) is not None
            for arg in ("--role", f"{role}={account.public_key}")
        ]
        rpc_port = env.int("GLOAM_NODE_PORT", default=9100)
        self._chain(
            "devnet",
            "--init-only",
            "--dir",
            str(chain_dir),
            "--nodes",
            str(options["nodes"]),
            "--chain-id",
            str(options["chain_id"]),
            "--rpc-base-port",
            str(rpc_port),
            "--p2p-base-port",
            str(rpc_port + 100),
            "--peer-host",
            options["peer_host"],
            "--shielded-currency",
            options["shielded_currency"],
            *funds,
            *roles,
        )
        self.stdout.write(f"devnet of {options['nodes']} provisioners written: {chain_dir}")

    def _chain(self, *args: str) -> None:
        result = subprocess.run(  # noqa: S603 - our own interpreter and CLI, fixed arguments
            [sys.executable, "-m", "chain", *args], capture_output=True, text=True, check=False
        )
        if result.returncode:
            raise CommandError(f"python -m chain {args[0]} failed: {result.stderr.strip()}")
