"""``OTP_WEBAUTHN_HELPER_CLASS``: django-otp-webauthn's helper with the portal's two differences.

- User verification is "preferred" at sign-in too (the library requires it for a sign-in without
  a username): a security key without a PIN still signs in; the flag is kept on the audit row.
- The signature is checked before the counter. py_webauthn checks the counter first, so a made-up
  response naming a real passkey with a low counter would pass for a clone and block that passkey;
  here only a response signed by the passkey's key can be called a clone (``StaleCounter``). The
  new counter is written only if nobody wrote another meanwhile (a replayed response racing the
  real one loses).
"""

from __future__ import annotations

from django.utils import timezone
from django_otp_webauthn import exceptions
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.utils import get_credential_model
from webauthn import base64url_to_bytes, verify_authentication_response
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.structs import UserVerificationRequirement

from passkeys.errors import StaleCounter

WebAuthnCredential = get_credential_model()


class PortalWebAuthnHelper(WebAuthnHelper):
    def get_generate_authentication_options_kwargs(
        self, *, user=None, require_user_verification: bool
    ) -> dict:
        kwargs = super().get_generate_authentication_options_kwargs(
            user=user, require_user_verification=False
        )
        kwargs["user_verification"] = UserVerificationRequirement.PREFERRED
        return kwargs

    def authenticate_complete(self, user, state: dict, data: dict):
        credential = parse_authentication_credential_json(data)
        device = (
            WebAuthnCredential.objects.select_related("user")
            .filter(
                credential_id_sha256=WebAuthnCredential.get_credential_id_sha256(credential.raw_id)
            )
            .first()
        )
        if device is None:
            raise exceptions.CredentialNotFound()
        if user is not None and device.user_id != user.pk:
            raise exceptions.CredentialUserMismatch()
        verified = verify_authentication_response(
            credential=credential,
            # 0: py_webauthn's own counter check (before the signature) is off; ours follows.
            credential_current_sign_count=0,
            credential_public_key=device.public_key,
            expected_challenge=base64url_to_bytes(state["challenge"]),
            expected_rp_id=self.get_relying_party_domain(),
            expected_origin=self.get_allowed_origins(),
            require_user_verification=bool(state.get("require_user_verification")),
        )
        stored, counted = device.sign_count, verified.new_sign_count
        if (counted > 0 or stored > 0) and counted <= stored:
            raise StaleCounter(device=device, counted=counted)
        now = timezone.now()
        written = WebAuthnCredential.objects.filter(pk=device.pk, sign_count=stored).update(
            sign_count=counted, backup_state=verified.credential_backed_up, last_used_at=now
        )
        if not written and counted > 0:
            raise StaleCounter(device=device, counted=counted)
        device.sign_count, device.backup_state, device.last_used_at = (
            counted,
            verified.credential_backed_up,
            now,
        )
        device.user_verified = verified.user_verified
        return device
