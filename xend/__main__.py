"""``python -m xend``: the xend command."""

import sys

from xend.daemon.cli import main

sys.exit(main())
