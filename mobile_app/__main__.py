"""``python -m mobile_app`` runs the command-line interface."""

from mobile_app.cli import main

raise SystemExit(main())
