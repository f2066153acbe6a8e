import sys

from luoshi.cli import main

sys.exit(main())
