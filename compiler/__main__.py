"""`python -m statewright.compiler`: the `statewright` command."""

import sys

from .tools.cli.main import main

sys.exit(main())
