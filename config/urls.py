"""URL map: pages per app, the REST API under /api/v1/, public form intake under /f/."""

from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("accord.core.urls")),
    path("", include("accord.people.urls")),
    path("", include("accord.leads.urls")),
    path("", include("accord.intake.urls")),
    path("", include("accord.qualification.urls")),
    path("", include("accord.routing.urls")),
    path("", include("accord.sla.urls")),
    path("", include("accord.notifications.urls")),
    path("", include("accord.campaigns.urls")),
    path("", include("accord.deals.urls")),
    path("", include("accord.planning.urls")),
    path("", include("accord.enablement.urls")),
    path("", include("accord.intelligence.urls")),
    path("", include("accord.knowledge.urls")),
    path("", include("accord.reporting.urls")),
    path("", include("accord.privacy.urls")),
    path("", include("accord.webhooks.urls")),
    path("", include("accord.audit.urls")),
    path("", include("accord.records.urls")),
    path("", include("accord.workday.urls")),
]

# API and public-form errors answer JSON like the endpoints themselves; pages answer pages.
handler400 = "accord.core.views.error_400"
handler403 = "accord.core.views.error_403"
handler404 = "accord.core.views.error_404"
handler500 = "accord.core.views.error_500"
