"""Planning pages: goals side by side, plans, the diff, previews, disagreements, meetings, promises,
prospect profiles, the launch calendar and the joint performance statement."""

from accord.planning import views

app_name = "planning"
urlpatterns = views.urlpatterns
