"""Placeholder pages; replaced by the portal pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


def ranking(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


def dealer_home(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


def import_list(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")
