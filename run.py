"""Start trakrf-server from a checkout: ``python run.py serve``."""

import sys

from trakrf_server.cli import main

if __name__ == "__main__":
    sys.exit(main())
