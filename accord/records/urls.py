"""Pages across records: the lead list's bulk actions, saved views, accounts, the global search."""

from accord.records import views

app_name = "records"
urlpatterns = [*views.urlpatterns]
