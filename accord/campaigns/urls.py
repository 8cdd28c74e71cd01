"""Campaign and attribution pages."""

from accord.campaigns import views

app_name = "campaigns"
urlpatterns = views.urlpatterns
