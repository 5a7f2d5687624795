from django.urls import path

from . import views

urlpatterns = [
    path("a/<slug:slug>/mesures/", views.dashboard, name="analytics"),
    path("a/<slug:slug>/mesures/comptes/<int:pk>/", views.channel_dashboard, name="analytics_channel"),
    path("a/<slug:slug>/mesures/publications/<int:pk>/", views.publication_metrics, name="analytics_publication"),
    path("a/<slug:slug>/mesures/export/<slug:table>.csv", views.export_csv, name="analytics_csv"),
    path("a/<slug:slug>/mesures/rapports/", views.report_index, name="analytics_reports"),
    path("a/<slug:slug>/mesures/rapports/destinataires/", views.report_settings, name="analytics_report_settings"),
    path("a/<slug:slug>/mesures/rapports/<str:month>/", views.report_month, name="analytics_report"),
    path("a/<slug:slug>/mesures/rapports/<str:month>/rapport.pdf", views.report_pdf, name="analytics_report_pdf"),
    path("a/<slug:slug>/mesures/rapports/<str:month>/<slug:table>.csv", views.report_csv,
         name="analytics_report_csv"),
]
