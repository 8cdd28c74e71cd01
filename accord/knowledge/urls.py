"""Knowledge pages."""

from accord.knowledge import views

app_name = "knowledge"
urlpatterns = views.urlpatterns
