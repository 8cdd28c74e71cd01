from django.urls import path

from accord.reporting import views

app_name = "reporting"

urlpatterns = [
    path("dashboards/", views.dashboard_home, name="home"),
    path("dashboards/glossary/", views.glossary_page, name="glossary"),
    path("dashboards/customers/", views.customer_value_page, name="customers"),
    path("dashboards/<slug:kind>/", views.dashboard_page, name="dashboard"),
]
