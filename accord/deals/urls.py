"""Deal pages and converting a lead into a deal."""

from accord.deals import views

app_name = "deals"
urlpatterns = views.urlpatterns
