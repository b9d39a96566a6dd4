"""`python -m fulfil.testing.fake_google`: serve the fake in the foreground until Ctrl-C."""

import sys

from fulfil.testing.fake_google.server import main

if __name__ == "__main__":
    sys.exit(main())
