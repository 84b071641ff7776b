"""`python -m handheld ...`: the courier's command line."""
from handheld.cli import main

raise SystemExit(main())
