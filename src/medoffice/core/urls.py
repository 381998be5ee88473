from django.urls import path

from medoffice.core import auth_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/access-log/", views.audit_log, name="audit_log"),
    path("audit/access-log/verify/", views.audit_verify, name="audit_verify"),
    path("jobs/", views.task_list, name="task_list"),
    path("users/", auth_views.user_list, name="user_list"),
    path("users/new/", auth_views.user_create, name="user_create"),
    path("users/<int:pk>/", auth_views.user_edit, name="user_edit"),
    path("users/<int:pk>/unlock/", auth_views.user_unlock, name="user_unlock"),
    path(
        "users/<int:pk>/reset-two-factor/",
        auth_views.user_reset_two_factor,
        name="user_reset_two_factor",
    ),
    path("accounts/login/", auth_views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.sign_out, name="logout"),
    path("accounts/two-factor/", auth_views.two_factor_verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", auth_views.two_factor_setup, name="two_factor_setup"),
]
