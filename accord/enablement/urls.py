"""Enablement pages (namespaced) and the public share link (outside the namespace, at /m/<token>)."""

from django.urls import include, path

from accord.enablement import views

urlpatterns = [
    path("", include((views.urlpatterns, "enablement"))),
    path("m/<str:token>", views.public_share, name="share_view"),
]
