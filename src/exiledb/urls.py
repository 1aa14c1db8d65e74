from django.contrib import admin
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from exiledb.access import views as access
from exiledb.api.views import api
from exiledb.public import editions, mapview
from exiledb.public import views as public

urlpatterns = [
    path("", public.home, name="home"),
    path("incidents/", public.incidents, name="incidents"),
    path("incidents/<uuid:pk>/", public.incident, name="incident"),
    path("cases/", public.cases, name="cases"),
    path("cases/<uuid:pk>/", public.case, name="case"),
    path("map/", mapview.map_view, name="map"),
    path("methodology/", public.methodology, name="methodology"),
    path("data/", public.data, name="data"),
    path("data/download/<str:fmt>/", public.download, name="download"),
    path("data/editions/<slug:name>/", editions.edition, name="edition"),
    path(
        "data/editions/<slug:name>/download/<str:audience>/",
        editions.download,
        name="edition_download",
    ),
    path("data/editions/<slug:name>/changes.json", editions.changes, name="edition_changes"),
    path("account/otp/", access.otp, name="otp"),
    # The language switcher posts here. No CSRF token: it would give every reader a cookie and
    # make every page differ; a forged post can only change the language.
    path("language/", csrf_exempt(set_language), name="set_language"),
    path("editor/", admin.site.urls),
    path("api/v1/", api.urls),
]
