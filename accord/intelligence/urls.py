"""Intelligence pages."""

from accord.intelligence import views

app_name = "intelligence"
urlpatterns = views.urlpatterns
