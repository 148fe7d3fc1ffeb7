"""Writes of the single sign-on app: the audit rows of tokens issued, refused and revoked, the
record of each used code, and revocations. Each write runs in a transaction with its audit row.

Audit rows name the client and a reason, never a token, code or secret.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_id_token_model,
    get_refresh_token_model,
    revoke_access_token,
)

from audit.services import audit_record
from sso.models import Client, CodeUse

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
IDToken = get_id_token_model()


def _printable(text: str, limit: int = 80) -> str:
    return "".join(ch for ch in (text or "") if ch.isprintable())[:limit]


def issuance_record(
    *, request: HttpRequest | None, client: Client, user, grant_type: str, scope: str
) -> None:
    """A token was issued (called inside django-oauth-toolkit's transaction that saved it)."""
    audit_record(
        event="sso.token_issued",
        request=request,
        user=user,
        subject=client.name or client.client_id,
        data={"client": client.client_id, "grant": grant_type, "scope": scope},
    )


@transaction.atomic
def refusal_record(
    *, request: HttpRequest, endpoint: str, client_id: str, reason: str, user=None
) -> None:
    """The token endpoint (or another) said no: which client, which reason."""
    audit_record(
        event="sso.token_refused",
        request=request,
        user=user,
        subject=_printable(client_id),
        data={"endpoint": endpoint, "client": _printable(client_id), "reason": _printable(reason)},
    )


@transaction.atomic
def revocation_record(
    *, request: HttpRequest | None, client: Client | None, reason: str, user=None
):
    audit_record(
        event="sso.token_revoked",
        request=request,
        user=user,
        subject=(client.name or client.client_id) if client else "",
        data={"client": client.client_id if client else "", "reason": reason},
    )


@transaction.atomic
def code_use_record(
    *, code_digest: str, client: Client, user, access_token_digest: str, token_family
) -> CodeUse:
    return CodeUse.objects.create(
        code_digest=code_digest,
        client=client,
        user=user,
        access_token_digest=access_token_digest,
        token_family=token_family,
        used_at=timezone.now(),
    )


@transaction.atomic
def tokens_revoke_issued(*, access_token_digest: str, token_family: uuid.UUID | None, reason: str):
    """Revoke one access token and its refresh-token family (whatever one code issued)."""
    if token_family is not None:
        RefreshToken.revoke_family(token_family)
    for token in AccessToken.objects.filter(token_checksum=access_token_digest):
        revoke_access_token(token)


@transaction.atomic
def code_replay_handle(*, code_digest: str, client: Client, request: HttpRequest | None) -> bool:
    """A code that is no longer valid was presented. If it was exchanged before (by this
    client), revoke what that exchange issued, audited. Returns whether it was a replay."""
    use = CodeUse.objects.select_for_update().filter(code_digest=code_digest, client=client).first()
    if use is None:
        return False
    if use.access_token_digest or use.token_family:
        tokens_revoke_issued(
            access_token_digest=use.access_token_digest,
            token_family=use.token_family,
            reason="code_replayed",
        )
        use.access_token_digest, use.token_family = "", None
        use.save(update_fields=["access_token_digest", "token_family"])
        revocation_record(request=request, client=client, reason="code_replayed", user=use.user)
    return True


@transaction.atomic
def tokens_revoke(
    *, user, client: Client | None = None, reason: str, request: HttpRequest | None = None
) -> int:
    """Sign ``user`` out of one client (or all): their access, refresh and ID tokens there are
    revoked, audited. Returns how many clients lost a session. The seam for "sign out of this
    app", an agent's "sign out of all apps" and a back-channel logout."""
    access = AccessToken.objects.filter(user=user)
    refresh = RefreshToken.objects.filter(user=user, revoked__isnull=True)
    ids = IDToken.objects.filter(user=user)
    if client is not None:
        access, refresh, ids = (
            access.filter(application=client),
            refresh.filter(application=client),
            ids.filter(application=client),
        )
    clients = set(access.values_list("application_id", flat=True))
    clients |= set(refresh.values_list("application_id", flat=True))
    for token in refresh:
        token.revoke()
    for token in access:
        revoke_access_token(token)
    ids.delete()
    for row in Client.objects.filter(pk__in=clients):
        revocation_record(request=request, client=row, reason=reason, user=user)
    return len(clients)
