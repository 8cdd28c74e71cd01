"""The notifications inbox pages."""

from accord.notifications import views

app_name = "notifications"
urlpatterns = [*views.urlpatterns]
