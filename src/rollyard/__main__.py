"""``python -m rollyard`` runs the ``rollyard`` command."""

from .cli import main

main()
