"""``python -m tiffin`` is the ``tiffin`` command."""

from tiffin.cli import main

main()
