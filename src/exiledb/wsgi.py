"""WSGI entry point for gunicorn (`exiledb serve` runs it)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exiledb.settings")
application = get_wsgi_application()
