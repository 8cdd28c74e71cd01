from django.urls import path

app_name = "qualification"
urlpatterns: list = []
