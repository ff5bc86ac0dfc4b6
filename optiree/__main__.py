import sys

from optiree.cli import main

sys.exit(main())
