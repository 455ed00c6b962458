from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from .language import on_login
        from .roles import sync_role_permissions

        user_logged_in.connect(on_login, dispatch_uid="accounts.language_on_login")

        post_migrate.connect(sync_role_permissions, dispatch_uid="accounts.sync_role_permissions")
