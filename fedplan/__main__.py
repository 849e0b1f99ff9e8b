"""``python -m fedplan``: the same as the ``fedplan`` command."""
import sys

from .cli import main

sys.exit(main())
