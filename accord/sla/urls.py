"""SLA pages: the one-click follow-up link."""

from accord.sla import views

app_name = "sla"
urlpatterns = [*views.urlpatterns]
