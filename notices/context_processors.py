from django.http import HttpRequest


def notices(request: HttpRequest) -> dict:
    """Active and upcoming maintenance notices for the banner (filled by the notices issue)."""
    return {"site_notices": []}
