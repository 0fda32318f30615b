from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from django.views.i18n import set_language

from config.api_docs import ApiDocsView, ApiSchemaView
from dealers import views as dealer_views

urlpatterns = [
    path("", dealer_views.home, name="home"),
    path("accounts/login/", dealer_views.PortalLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("healthz", dealer_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links (the admin, a PDF, a JSON answer).
    # Lazy: the static URL (hashed in production) is looked up at the first request.
    path(
        "favicon.ico",
        login_not_required(RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"))),
        name="favicon",
    ),
    path("workbench/", include("workbench.urls")),
    path("notices/", include("dealers.urls_notices")),
    path("account/tokens/", include("dealers.urls_tokens")),
    path("account/channels/", include("dealers.urls_channels")),
    path("dealers/", include("dealers.urls")),
    path("assessments/schemes/", include("assessments.urls_schemes")),
    path("assessments/submissions/", include("assessments.urls_submissions")),
    path("assessments/imports/", include("assessments.urls_imports")),
    path("assessments/", include("assessments.urls")),
    path("incentives/", include("incentives.urls")),
    path("surveys/", include("surveys.urls")),
    path("training/", include("training.urls")),
    path("goals/", include("goals.urls")),
    path("insights/", include("insights.urls")),
    path("support/", include("support.urls")),
    path("s/", include("surveys.urls_public")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_router")),
    path("api/v1/schema/", ApiSchemaView.as_view(), name="api-schema"),
    path("api/v1/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
