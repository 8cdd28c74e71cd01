"""Routing pages under /routing/."""

from django.urls import path

from accord.routing import views

app_name = "routing"
urlpatterns = [
    path("routing/", views.routing_home, name="home"),
    path("routing/drafts/", views.rule_set_new, name="rule_set_new"),
    path("routing/v<int:version>/", views.rule_set_detail, name="rule_set"),
    path("routing/v<int:version>/activate/", views.rule_set_activate, name="activate"),
    path("routing/v<int:version>/dry-run/", views.dry_run, name="dry_run"),
    path("routing/rules/<int:rule_id>/remove/", views.rule_remove, name="rule_remove"),
    path("routing/rules/<int:rule_id>/move/", views.rule_move, name="rule_move"),
    path("leads/<int:lead_id>/reassign", views.lead_reassign_page, name="lead_reassign"),
]
