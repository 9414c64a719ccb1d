import sys

from hello import main

sys.exit(main())
