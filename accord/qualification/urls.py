from django.urls import path

from accord.qualification import views

app_name = "qualification"
urlpatterns = [
    path("criteria/", views.criteria_list_page, name="list"),
    path("criteria/new/", views.criteria_new, name="new"),
    path("criteria/<int:criteria_id>/", views.criteria_detail_page, name="detail"),
    path("criteria/<int:criteria_id>/edit/", views.criteria_edit_page, name="edit"),
    path("criteria/<int:criteria_id>/sign-off/", views.criteria_sign_off_page, name="sign_off"),
    path("criteria/<int:criteria_id>/diff/", views.criteria_diff_page, name="diff"),
    path("criteria/<int:criteria_id>/impact/", views.criteria_impact_partial, name="impact"),
    path("glossary/", views.glossary_page, name="glossary"),
]
