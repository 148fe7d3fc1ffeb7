"""The employee's own security page (/account/)."""

from django.urls import include, path

from accounts.views import account, contacts, messengers, twostep

app_name = "accounts"
urlpatterns = [
    path("", account.overview, name="overview"),
    path("password/", account.password_change, name="password_change"),
    path("contacts/", contacts.contacts_edit, name="contacts"),
    path("contacts/verify/", contacts.contact_verify, name="contact_verify"),
    path("contacts/add/", contacts.contact_prompt, name="contact_prompt"),
    path("messengers/", messengers.messengers_edit, name="messengers"),
    path("messengers/verify/", messengers.messenger_verify, name="messenger_verify"),
    path("messengers/remove/", messengers.messenger_remove, name="messenger_remove"),
    path("two-step/", twostep.two_step, name="two_step"),
    path("two-step/set-up/", twostep.two_step_enroll, name="two_step_enroll"),
    path("two-step/backup-codes/", twostep.two_step_backup, name="two_step_backup"),
    path("two-step/backup-codes/new/", twostep.two_step_backup_new, name="two_step_backup_new"),
    path("two-step/turn-off/", twostep.two_step_disable, name="two_step_disable"),
    # The session's two-step confirmation and "sign out all other sessions" are the sign-in
    # app's (a higher layer): included by its dotted name, never imported; their names stay in
    # this namespace.
    path("", include("signin.urls_session")),
    # "Sign out of this app" is the single sign-on app's (a higher layer), included likewise.
    path("", include("sso.urls_account")),
]
