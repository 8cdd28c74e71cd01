"""The doors with pages of their own: the public form endpoint and the CSV import pages."""

from django.urls import path

from accord.intake import import_views, public

app_name = "intake"
urlpatterns = [
    path("f/<str:key>", public.form_submit, name="form_submit"),
    *import_views.urlpatterns,
]
