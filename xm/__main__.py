"""``python -m xm``: the same as the ``xm`` console script."""

import sys

from xm.main import main

sys.exit(main())
