"""SLA pages: the rep inbox, scorecards, rejection feedback and the one-click follow-up link."""

from accord.sla import views, workday_views

app_name = "sla"
urlpatterns = [*views.urlpatterns, *workday_views.urlpatterns]
