"""``python -m flowyard.cli`` runs the CLI."""

from flowyard.cli.main import main

main()
