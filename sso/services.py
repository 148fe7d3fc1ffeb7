"""Writes of the single sign-on app: the audit rows of tokens issued, refused and revoked, the
record of each used code, revocations, and the life of an app sign-in (begun at the authorize
step, signed in at the code's exchange, ended with its tokens revoked and a back-channel logout
queued). Each write runs in a transaction with its audit row.

Audit rows name the client and a reason, never a token, code or secret.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
    revoke_access_token,
)

from audit.models import AuditEvent
from audit.services import audit_build, audit_record
from messaging.services import messaging_post
from portal.db import insert_statement, run_together, update_by_pk_statement
from sso import backchannel, conf
from sso.claims import subject_of
from sso.hashers import ClientSecretHasher
from sso.logos import PreparedLogo
from sso.models import AppSignIn, Client, ClientLogo, CodeUse

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
IDToken = get_id_token_model()
Grant = get_grant_model()


def _printable(text: str, limit: int = 80) -> str:
    return "".join(ch for ch in (text or "") if ch.isprintable())[:limit]


def issuance_record(
    *, request: HttpRequest | None, client: Client, user, grant_type: str, scope: str
) -> None:
    """A token was issued (called inside django-oauth-toolkit's transaction that saved it)."""
    _issuance_event(
        request=request, client=client, user=user, grant_type=grant_type, scope=scope
    ).save(force_insert=True)


def _issuance_event(
    *, request: HttpRequest | None, client: Client, user, grant_type: str, scope: str
) -> AuditEvent:
    """The unsaved ``sso.token_issued`` row (``issuance_record``, ``code_exchange_record``)."""
    return audit_build(
        event="sso.token_issued",
        request=request,
        user=user,
        subject=str(client),
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
        subject=str(client) if client else "",
        data={"client": client.client_id if client else "", "reason": reason},
    )


@transaction.atomic(savepoint=False)  # the end of the code exchange's transaction
def code_exchange_record(
    *,
    request: HttpRequest | None,
    client: Client,
    user,
    code: str,
    code_digest: str,
    signin_id: int | None,
    access_token_digest: str,
    token_family: uuid.UUID | None,
    scope: str,
) -> bool:
    """The code exchange's last writes, after its tokens: the app sign-in signed in (when the
    code began one), the audit row of the token issued, the code deleted (its single use) and
    that use recorded. On PostgreSQL in one message (``portal.db.run_together``): the deletion
    and the record are one statement that inserts only when it deleted the code. Returns False
    when there was no code left to delete (another exchange used it): the caller rolls back."""
    now = timezone.now()
    event = _issuance_event(
        request=request, client=client, user=user, grant_type="authorization_code", scope=scope
    )
    use = CodeUse(
        code_digest=code_digest,
        client=client,
        user=user,
        access_token_digest=access_token_digest,
        token_family=token_family,
        used_at=now,
    )
    if connection.vendor != "postgresql":
        if signin_id is not None:
            app_signin_complete(signin_id=signin_id, token_family=token_family)
        event.save(force_insert=True)
        deleted, _ = Grant.objects.filter(code=code, application=client).delete()
        if deleted:
            use.save(force_insert=True)
        return bool(deleted)
    statements = []
    if signin_id is not None:
        sql, params = update_by_pk_statement(
            AppSignIn, signin_id, signed_in_at=now, last_used_at=now, token_family=token_family
        )
        statements.append((sql + ' AND "ended_at" IS NULL', params))
    statements.append(insert_statement(event))
    insert, insert_params = insert_statement(use)
    columns, values = insert.split(" VALUES ", 1)
    qn = connection.ops.quote_name
    grant = Grant._meta
    delete = (
        f"DELETE FROM {qn(grant.db_table)} WHERE {qn(grant.get_field('code').column)} = %s"  # noqa: S608
        f" AND {qn(grant.get_field('application').column)} = %s RETURNING 1"
    )
    statements.append(
        (
            f"WITH used AS ({delete}) {columns} SELECT {values[1:-1]} FROM used RETURNING 1",  # noqa: S608
            [code, client.pk, *insert_params],
        )
    )
    return bool(run_together(statements))


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


# --- App sign-ins ---------------------------------------------------------------------------
@transaction.atomic
def app_signin_begin(
    *,
    client: Client,
    user,
    code_digest: str,
    sid: str,
    user_session_id: int | None,
    ip: str | None,
    user_agent: str,
) -> AppSignIn:
    """The authorize step issued a code in the portal browser session ``sid``."""
    return AppSignIn.objects.create(
        client=client,
        user=user,
        code_digest=code_digest,
        sid=sid,
        user_session_id=user_session_id,
        ip=ip,
        user_agent=(user_agent or "")[:255],
        started_at=timezone.now(),
    )


@transaction.atomic(savepoint=False)  # one statement, inside the code exchange's transaction
def app_signin_complete(*, signin_id: int, token_family: uuid.UUID | None) -> None:
    """The client exchanged the code: the person is signed in to it, holding ``token_family``."""
    now = timezone.now()
    AppSignIn.objects.filter(pk=signin_id, ended_at__isnull=True).update(
        signed_in_at=now, last_used_at=now, token_family=token_family
    )


@transaction.atomic
def app_signin_used(*, token_family: uuid.UUID) -> None:
    """A refresh token of the sign-in was used."""
    AppSignIn.objects.filter(token_family=token_family, ended_at__isnull=True).update(
        last_used_at=timezone.now()
    )


def _logout_queue(*, row: AppSignIn, sub: str) -> None:
    client = row.client
    jti = uuid.uuid4().hex
    messaging_post(
        kind=backchannel.KIND,
        url=client.backchannel_logout_uri,
        params=backchannel.logout_params(client=client, sub=sub, sid=row.sid, jti=jti),
        user=row.user,
        expires_at=timezone.now() + timedelta(seconds=int(conf.get("SSO_LOGOUT_DELIVERY_SECONDS"))),
    )


@transaction.atomic
def app_signins_end(
    *,
    user,
    how: str,
    client: Client | None = None,
    sids: Iterable[str] | None = None,
    user_session_ids: Iterable[int] | None = None,
    request: HttpRequest | None = None,
) -> int:
    """End ``user``'s open sign-ins to apps: all of them, or those at ``client``, in the portal
    sessions ``sids`` or in the ``UserSession`` rows ``user_session_ids``. Their tokens are
    revoked (audited ``sso.token_revoked`` with ``how`` as the reason) and every client with a
    back-channel logout URI gets one logout token per portal session, queued in this
    transaction. Ending them all (no session named) revokes every token the person holds there,
    sign-in recorded or not. Returns how many sign-ins ended. Idempotent."""
    rows = AppSignIn.objects.select_for_update().filter(user=user, ended_at__isnull=True)
    whole = sids is None and user_session_ids is None
    if client is not None:
        rows = rows.filter(client=client)
    if sids is not None:
        rows = rows.filter(sid__in=[sid for sid in sids if sid])
    if user_session_ids is not None:
        rows = rows.filter(user_session_id__in=list(user_session_ids))
    ended = list(rows.select_related("client", "user"))
    if not ended and not whole:
        return 0
    now = timezone.now()
    AppSignIn.objects.filter(pk__in=[row.pk for row in ended]).update(
        ended_at=now, ended_how=how[:32]
    )
    live = [row for row in ended if row.signed_in_at is not None]
    if whole:
        tokens_revoke(user=user, client=client, reason=how, request=request)
    else:
        revoked: dict[int, Client] = {}
        for row in live:
            if row.token_family is not None:
                RefreshToken.revoke_family(row.token_family)
                revoked[row.client_id] = row.client
        for row_client in revoked.values():
            revocation_record(request=request, client=row_client, reason=how, user=user)
    sessions = {(row.client_id, row.sid): row for row in live if row.client.backchannel_logout_uri}
    if sessions:
        sub = subject_of(user)
        if sub is not None:
            for row in sessions.values():
                _logout_queue(row=row, sub=sub)
    return len(live)


@transaction.atomic
def app_signout(
    *, user, client: Client | None, request: HttpRequest | None = None, actor=None
) -> int:
    """ "Sign out of this app" (the person, ``actor`` None) or an agent's sign-out of one app
    or all (``actor`` the agent; audited ``sso.agent_signout``). Returns how many sign-ins
    ended."""
    how = "agent_signout" if actor is not None else "app_signout"
    ended = app_signins_end(user=user, how=how, client=client, request=request)
    if actor is not None:
        audit_record(
            event="sso.agent_signout",
            request=request,
            actor=actor,
            user=user,
            subject=str(client) if client else user.get_username(),
            data={"client": client.client_id if client else "*", "signins_ended": ended},
        )
    return ended


@transaction.atomic
def logout_delivery_record(*, message, sent: bool, error: str = "") -> None:
    """A back-channel logout reached its client (``sso.logout_sent``) or did not, after every
    retry (``sso.logout_failed``): called by the outbox's signals, in its transaction."""
    params = message.params or {}
    client = Client.objects.filter(pk=params.get("client")).first()
    data = {
        "client": client.client_id if client else "",
        "sid": params.get("sid", ""),
        "attempts": message.attempts,
        "reference": str(message.reference),
    }
    if not sent:
        data["error"] = error[:200]
    audit_record(
        event="sso.logout_sent" if sent else "sso.logout_failed",
        user=message.user,
        subject=str(client) if client else "",
        data=data,
    )


def account_disabled_handle(*, user) -> None:
    """A disabled account's sign-ins end once its save commits (checked then: a save that is
    rolled back, or an account enabled again meanwhile, ends nothing)."""

    def end() -> None:
        if not type(user).objects.filter(pk=user.pk, is_active=False).exists():
            return
        if AppSignIn.objects.filter(user=user, ended_at__isnull=True).exists() or (
            RefreshToken.objects.filter(user=user, revoked__isnull=True).exists()
        ):
            app_signins_end(user=user, how="account_disabled")

    transaction.on_commit(end, robust=True)


@transaction.atomic
def client_secret_rehash(*, stored: str, secret: str) -> None:
    """Store again, with the client-secret hasher (``sso.hashers``), a client secret that was
    just verified against ``stored``, a hash of the slow password hasher. A secret kept in the
    clear (``hash_client_secret`` off) stays as it is."""
    if not stored or stored == secret:
        return
    Client.objects.filter(client_secret=stored, hash_client_secret=True).update(
        client_secret=make_password(secret, hasher=ClientSecretHasher.algorithm)
    )


# --- Client logos ---------------------------------------------------------------------------
@transaction.atomic
def client_logo_set(*, client: Client, logo: PreparedLogo) -> None:
    """Store ``logo`` (``sso.logos.logo_prepare``'s re-encoded image) as the client's logo; its
    URL changes with it, so no browser keeps showing the old one."""
    ClientLogo.objects.update_or_create(
        client=client,
        defaults={
            "content": logo.content,
            "content_type": logo.content_type,
            "digest": logo.digest,
            "side": logo.side,
            "updated_at": timezone.now(),
        },
    )
    client.logo_digest = logo.digest
    Client.objects.filter(pk=client.pk).update(logo_digest=logo.digest)


@transaction.atomic
def client_logo_remove(*, client: Client) -> None:
    """The client shows no logo any more."""
    ClientLogo.objects.filter(client=client).delete()
    client.logo_digest = ""
    Client.objects.filter(pk=client.pk).update(logo_digest="")
