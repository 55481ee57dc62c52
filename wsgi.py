"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from tipro import create_app

app = create_app()
