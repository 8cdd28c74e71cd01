"""Lead pages (the CSV import pages and the public form endpoint are intake's: accord/intake/urls.py)."""

from accord.leads import views

app_name = "leads"
urlpatterns = [*views.urlpatterns]
