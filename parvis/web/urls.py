from django.contrib.auth import views as auth_views
from django.urls import include, path

from parvis.channels import views_connect

from . import views, views_admin, views_rules

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", auth_views.LoginView.as_view(template_name="registration/login.html",
                                                    redirect_authenticated_user=True), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("a/<slug:slug>/", views.authority_home, name="authority_home"),
    path("a/<slug:slug>/calendrier/", views.calendar, name="calendar"),
    path("a/<slug:slug>/calendrier/ical/", views.ical_settings, name="ical_settings"),
    path("a/<slug:slug>/publications/nouvelle/", views.publication_compose, name="publication_new"),
    path("a/<slug:slug>/publications/apercu/", views.publication_preview, name="publication_preview"),
    path("a/<slug:slug>/publications/<int:pk>/", views.publication_detail, name="publication_detail"),
    path("a/<slug:slug>/publications/<int:pk>/modifier/", views.publication_compose, name="publication_edit"),
    path("a/<slug:slug>/publications/<int:pk>/envoyer/", views.publication_submit, name="publication_submit"),
    path("a/<slug:slug>/publications/<int:pk>/decision/", views.publication_decide, name="publication_decide"),
    path("a/<slug:slug>/publications/<int:pk>/lien-validation/", views.publication_approval_link,
         name="publication_approval_link"),
    path("a/<slug:slug>/publications/<int:pk>/annuler/", views.publication_cancel, name="publication_cancel"),
    path("a/<slug:slug>/diffusions/<int:pk>/relancer/", views.delivery_retry, name="delivery_retry"),
    path("a/<slug:slug>/diffusions/<int:pk>/verifier/", views.delivery_resolve, name="delivery_resolve"),
    path("a/<slug:slug>/comptes/", views.channel_list, name="channels"),
    path("a/<slug:slug>/comptes/<int:pk>/", views.channel_edit, name="channel_edit"),
    path("a/<slug:slug>/medias/", views.media_library, name="media_library"),
    path("a/<slug:slug>/medias/<int:pk>/fichier/", views.media_file, name="media_file"),
    path("a/<slug:slug>/journal/", views.audit_log, name="audit"),
    path("validation/<str:token>/", views.approval_page, name="approval"),
    path("validation/<str:token>/medias/<int:pk>/", views.approval_media, name="approval_media"),
    path("ical/<str:token>.ics", views.ical_feed, name="ical_feed"),
    path("collectivites/nouvelle/", views_admin.authority_new, name="authority_new"),
    path("collectivites/nouvelle/recherche/", views_admin.authority_search, name="authority_search"),
    path("a/<slug:slug>/equipe/", views_admin.team, name="team"),
    path("a/<slug:slug>/equipe/<int:pk>/role/", views_admin.team_role, name="team_role"),
    path("a/<slug:slug>/equipe/<int:pk>/retirer/", views_admin.team_remove, name="team_remove"),
    path("a/<slug:slug>/comptes/nouveau/", views_admin.channel_new, name="channel_new"),
    path("a/<slug:slug>/validation/regles/", views_rules.approval_rules, name="approval_rules"),
    path("a/<slug:slug>/validation/regles/compte/<int:pk>/", views_rules.approval_rule_channel,
         name="approval_rule_channel"),
]

urlpatterns += [
    path("a/<slug:slug>/comptes/<int:pk>/connexion/", views_connect.channel_connect, name="channel_connect"),
    path("connexion/retour/", views_connect.channel_connect_callback, name="channel_connect_callback"),
]
urlpatterns += [
    path("", include("parvis.web.webhooks")),  # Meta webhooks
    path("", include("parvis.analytics.urls")),  # measures
]
