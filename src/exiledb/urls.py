from django.contrib import admin
from django.urls import path

from exiledb.access import views as access
from exiledb.public import views as public

urlpatterns = [
    path("", public.home, name="home"),
    path("incidents/<uuid:pk>/", public.incident, name="incident"),
    path("cases/", public.cases, name="cases"),
    path("cases/<uuid:pk>/", public.case, name="case"),
    path("methodology/", public.methodology, name="methodology"),
    path("data/", public.data, name="data"),
    path("data/download/<str:fmt>/", public.download, name="download"),
    path("account/otp/", access.otp, name="otp"),
    path("editor/", admin.site.urls),
]
