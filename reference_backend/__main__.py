"""``python -m reference_backend serve ...``: the same as the ``reference-backend`` command."""

import sys

from reference_backend.cli import main

sys.exit(main())
