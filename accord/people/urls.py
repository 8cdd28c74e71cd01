"""Sign-in, sign-out, password change and reset, and the home redirect. No namespace: settings.LOGIN_URL names 'login'."""

from django.urls import path

from accord.people import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("login/totp/", views.totp_verify_page, name="totp_verify"),
    path("account/totp/", views.totp_setup_page, name="totp_setup"),
    path("account/away/", views.away_page, name="away"),
    path("account/away/<int:absence_id>/remove/", views.away_remove, name="away_remove"),
    path("account/calendar/", views.calendar_page, name="calendar"),
    path("calendar/<int:user_id>/<str:secret>.ics", views.calendar_feed, name="calendar_feed"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
