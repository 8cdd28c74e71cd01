"""Start pages: /team/, /decisions/, /desk/."""

from accord.workday import views

app_name = "workday"
urlpatterns = [*views.urlpatterns]
