import sys

from sparklytics.cli import main

sys.exit(main())
