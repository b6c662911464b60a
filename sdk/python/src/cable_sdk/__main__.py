"""``python -m cable_sdk``: the command line (see cable_sdk.cli)."""

import sys

from .cli import main

sys.exit(main())
