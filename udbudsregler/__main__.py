"""``python -m udbudsregler``: the command line."""

import sys

from udbudsregler.cli.main import main

sys.exit(main())
