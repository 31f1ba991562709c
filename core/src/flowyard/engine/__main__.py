"""``python -m flowyard.engine``."""

import sys

from flowyard.engine.run import main

sys.exit(main())
