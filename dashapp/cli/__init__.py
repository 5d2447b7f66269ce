"""The ``feedbackwall`` command."""
