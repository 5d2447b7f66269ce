"""``python -m dashapp.cli``: the ``feedbackwall`` command without its script."""

from dashapp.cli.main import main

# Guarded: a spawned process (the demo history's seeding) imports this module again.
if __name__ == "__main__":
    main()
