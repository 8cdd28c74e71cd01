"""The doors with pages of their own: the public form endpoint, the CSV import pages and the CSV exports."""

from django.urls import path

from accord.intake import export_views, import_views, public

app_name = "intake"
urlpatterns = [
    path("f/<str:key>", public.form_submit, name="form_submit"),
    *import_views.urlpatterns,
    *export_views.urlpatterns,
]
