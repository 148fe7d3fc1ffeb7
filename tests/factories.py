from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import User

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"employee{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@corp.example.cn")
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")
    email_verified_at = factory.LazyFunction(timezone.now)
    phone_verified_at = factory.LazyFunction(timezone.now)
    first_name = "Test"
    last_name = "Employee"

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            obj.save()


class StaffFactory(UserFactory):
    is_staff = True


class SuperuserFactory(UserFactory):
    is_staff = True
    is_superuser = True


def otp_force_login(client, user):
    """Sign ``client`` in as ``user`` in a session confirmed by two-step sign-in, as /admin/
    requires (``signin.admin_site``): gives the user a confirmed authenticator if it has none
    and marks the session verified, like the TOTP step at sign-in does. Returns the device."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def backup_codes_give(user, *codes: str):
    """Give ``user`` a confirmed backup-code device holding ``codes`` (stored as the portal
    stores them: keyed digests, ``accounts.backup_codes``). Returns the device."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    from accounts.backup_codes import backup_code_digest

    device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=device, token=backup_code_digest(code))
    return device
