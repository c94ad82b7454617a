"""``python -m chain`` (see :mod:`chain.node.cli`)."""

import sys

from chain.node.cli import main

sys.exit(main())
