"""`python -m qa`: the command line."""

import sys

from qa.cli.main import main

sys.exit(main())
