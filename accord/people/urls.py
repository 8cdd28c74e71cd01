"""Sign-in, sign-out and the home redirect. No namespace: settings.LOGIN_URL names 'login'."""

from django.urls import path

from accord.people import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("login/totp/", views.totp_verify_page, name="totp_verify"),
    path("account/totp/", views.totp_setup_page, name="totp_setup"),
]
