"""``python -m conformance.cli``: the ``registry-conformance`` command."""

import sys

from conformance.cli import main

sys.exit(main())
