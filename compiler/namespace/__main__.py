"""`python -m statewright`: the `statewright` command.

Installed as `statewright/__main__.py` (pyproject.toml maps the `statewright` namespace's own
files to this folder; `statewright` itself stays a PEP 420 namespace shared with the
`statewright-runtime` distribution).
"""

import sys

from statewright.compiler.tools.cli.main import main

sys.exit(main())
