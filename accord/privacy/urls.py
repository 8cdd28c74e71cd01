"""Privacy pages and the public unsubscribe link /u/<token>."""

from accord.privacy import views

app_name = "privacy"
urlpatterns = views.urlpatterns
