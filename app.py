"""WSGI entry point: ``gunicorn app:server``. Scheduled work runs in ``feedbackwall scheduler``."""

from dashapp import create_app

app = create_app()
server = app.server
