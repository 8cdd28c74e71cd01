"""Deal pages, converting a lead into a deal, opening and editing deals, and the pipeline pages."""

from accord.deals import edit_views, pipeline_views, views

app_name = "deals"
# The fixed paths (deals/new/, deals/board/) come before deals/<id>/ patterns only by habit: ids are ints.
urlpatterns = views.urlpatterns + edit_views.urlpatterns + pipeline_views.urlpatterns
