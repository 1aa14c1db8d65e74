from django.contrib import admin
from django.urls import path

from exiledb.public import views as public

urlpatterns = [
    path("", public.home, name="home"),
    path("editor/", admin.site.urls),
]
