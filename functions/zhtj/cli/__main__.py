"""``python -m zhtj.cli`` — the same as the ``zhtj`` console script."""

import sys

from zhtj.cli import main

if __name__ == "__main__":
    sys.exit(main())
