import sys

from bench.effects import main

sys.exit(main())
