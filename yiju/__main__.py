import sys

from yiju.cli import main

sys.exit(main())
