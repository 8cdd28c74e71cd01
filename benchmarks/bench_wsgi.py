"""gunicorn's entry for ``intake_throughput_bench.py``: Accord's WSGI application with ``bench_site``'s
settings (Accord's, plus the bare yardstick view)."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench_site"

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
