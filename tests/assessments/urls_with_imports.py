"""The project's URLs with the import pages included, whether or not config/urls.py has them yet."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns


def _has_imports(patterns: list) -> bool:
    return any(getattr(p, "namespace", None) == "imports" for p in patterns)


urlpatterns = list(project_urlpatterns)
if not _has_imports(urlpatterns):
    urlpatterns.insert(
        0, path("assessments/imports/", include("assessments.urls_imports", namespace="imports"))
    )
