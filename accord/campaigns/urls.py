"""Campaign and attribution pages, and the pages that correct a campaign and its costs."""

from accord.campaigns import edit_views, views

app_name = "campaigns"
urlpatterns = views.urlpatterns + edit_views.urlpatterns
