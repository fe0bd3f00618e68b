"""`python -m tariffcheck.cli`, the same as the `tariff` command."""

import sys

from . import main

sys.exit(main())
