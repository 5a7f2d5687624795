from django.conf import settings


def parvis(request):
    """Template context shared by every page."""
    return {"PARVIS_PUBLIC_URL": settings.PUBLIC_URL}
