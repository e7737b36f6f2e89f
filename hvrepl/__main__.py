"""``python -m hvrepl`` runs the command line."""

import sys

from hvrepl.cli import main

sys.exit(main())
