"""The WSGI entry point: `gunicorn -k gevent -w 1 -b HOST:PORT wsgi:app` (server policy: gunicorn.conf.py)."""
from app import create_app

app = create_app()
