"""`python -m services.scoring.replay [--check]`: see services.scoring.replay.service."""

import sys

from services.scoring.replay.service import main

sys.exit(main())
