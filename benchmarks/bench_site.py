"""The benchmarks' web site: Accord's own settings and URLs, plus ``POST /bench/bare``, the yardstick of
``intake_throughput_bench.py`` (parse a JSON body, insert one row, answer 201). Never part of Accord."""

from __future__ import annotations

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_site")

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench_site"


def bare(request):  # type: ignore[no-untyped-def]
    from django.db import connection, transaction
    from django.http import JsonResponse
    from django.utils import timezone

    body = json.loads(request.body)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_bare (email, created_at) VALUES (%s, %s)", [body["email"], timezone.now()]
        )
    return JsonResponse({"stored": True}, status=201)


def _urlpatterns():  # type: ignore[no-untyped-def]
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    from config.urls import urlpatterns as accord

    return [path("bench/bare", csrf_exempt(bare)), *accord]


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # The URL table is built on first use, once Django is set up (this module is also the settings).
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)
