"""The request type of a signed-in page or endpoint.

`LoginRequiredMiddleware` lets only signed-in users reach a view that is not marked
`login_not_required`, so there `request.user` is a `User`, never `AnonymousUser`. Annotating
such views with `AuthenticatedHttpRequest` tells the type checker so, instead of a
`# type: ignore` at every service call that takes the acting user.
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
