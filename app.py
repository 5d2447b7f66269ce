"""WSGI entry point: ``gunicorn app:server``. Scheduled work runs in ``feedbackwall scheduler``."""

from dashapp import collector, create_app

app = create_app()
server = app.server
# A worker serves for weeks: what it built at start is taken out of every
# garbage collection (dashapp/collector.py says what that saves).
collector.freeze()
