"""``python -m dashapp.cli``: the ``feedbackwall`` command without its script."""

from dashapp.cli.main import main

main()
