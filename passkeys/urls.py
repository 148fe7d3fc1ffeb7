"""The security page's passkeys, under /account/passkeys/ (included by ``accounts/urls_self.py``
by its dotted name)."""

from django.urls import path

from passkeys import views

app_name = "passkeys"
urlpatterns = [
    path("", views.passkeys_list, name="list"),
    path("add/", views.passkey_add, name="register"),
    path("add/begin/", views.register_begin, name="register_begin"),
    path("add/complete/", views.register_complete, name="register_complete"),
    path("confirm/begin/", views.confirm_begin, name="confirm_begin"),
    path("confirm/complete/", views.confirm_complete, name="confirm_complete"),
    path("<int:pk>/rename/", views.passkey_rename, name="rename"),
    path("<int:pk>/remove/", views.passkey_remove, name="remove"),
]
