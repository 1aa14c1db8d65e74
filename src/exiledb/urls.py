from django.contrib import admin
from django.urls import path

from exiledb.public import views as public

urlpatterns = [
    path("", public.home, name="home"),
    path("data/", public.data, name="data"),
    path("data/download/<str:fmt>/", public.download, name="download"),
    path("editor/", admin.site.urls),
]
