"""Allow ``python -m aigov_gate``."""

from aigov_gate.cli.main import main

main()
