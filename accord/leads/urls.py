"""Lead pages, the CSV import pages and the public form endpoint."""

from django.urls import path

from accord.leads import import_views, public, views

app_name = "leads"
urlpatterns = [
    path("f/<str:key>", public.form_submit, name="form_submit"),
    *views.urlpatterns,
    *import_views.urlpatterns,
]
