"""Routing pages under /routing/, the queue page and the team settings."""

from django.urls import path

from accord.routing import team_views, views

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
    path("queues/", team_views.queue_page, name="queues"),
    path("queues/assign/", team_views.queue_assign, name="queue_assign"),
    path("teams/", team_views.teams_page, name="teams"),
    path("teams/new/", team_views.team_new, name="team_new"),
    path("teams/<int:team_id>/", team_views.team_page, name="team"),
    path("teams/<int:team_id>/capacity/<int:user_id>/", team_views.team_capacity, name="team_capacity"),
    path("teams/<int:team_id>/holidays/", team_views.team_holiday_new, name="team_holiday_new"),
    path(
        "teams/<int:team_id>/holidays/<int:holiday_id>/remove/",
        team_views.team_holiday_delete,
        name="team_holiday_remove",
    ),
    path("teams/<int:team_id>/absences/", team_views.team_absence_new, name="team_absence_new"),
    path(
        "teams/<int:team_id>/absences/<int:absence_id>/remove/",
        team_views.team_absence_delete,
        name="team_absence_remove",
    ),
]
