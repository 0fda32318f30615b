"""App configurations the portal gives to other packages."""

from __future__ import annotations

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    """django-axes (sign-in lock-out) under a name in the reader's language in the admin."""

    verbose_name = _("Sign-in protection")
