"""``python -m cssim.cli``: the ``cssim`` command."""

import sys

from . import main

sys.exit(main())
