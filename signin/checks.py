"""Start-up checks for the sign-in app's configuration."""

from django.core.checks import Tags, Warning, register

from signin import conf

MIN_SECRET_LENGTH = 32


@register(Tags.security, deploy=True)
def lock_status_secret_check(app_configs, **kwargs):
    secret = conf.get("LOCK_STATUS_API_SECRET")
    if secret and (len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < 8):
        return [
            Warning(
                "LOCK_STATUS_API_SECRET is short or repetitive; anyone who guesses it can ask "
                "whether an account is locked.",
                hint="Use at least 32 random characters, e.g. python -c "
                "'import secrets; print(secrets.token_urlsafe(32))'.",
                id="signin.W001",
            )
        ]
    return []
