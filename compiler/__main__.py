"""`python -m statewright.compiler`: the `statewright` command."""

import sys

from .cli import main

sys.exit(main())
