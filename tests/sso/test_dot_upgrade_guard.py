"""The upgrade guard of the private django-oauth-toolkit methods the portal's validator overrides
or calls (sso/validator.py): each must still exist with the parameters ours take, and DOT must
still call it where our override expects to be called. An upgrade of DOT that moves one fails
here, before it silently bypasses the single-use code, the one-transaction exchange or the
client-secret hasher."""

from __future__ import annotations

import inspect
from importlib.metadata import version
from pathlib import Path

import pytest
from oauth2_provider.oauth2_validators import OAuth2Validator

from sso.validator import PortalValidator

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"

# private method: the public or private DOT methods whose source must call it
OVERRIDDEN = {
    "_check_secret": ["_authenticate_basic_auth", "_authenticate_request_body"],
    "_save_bearer_token": ["save_bearer_token"],
    "_create_access_token": ["_save_bearer_token"],
    "_create_refresh_token": ["_save_bearer_token"],
    "_save_id_token": ["finalize_id_token"],
}
CALLED = ["_set_token_value"]


def _pinned() -> str:
    for line in REQUIREMENTS.read_text().splitlines():
        if line.lower().startswith("django-oauth-toolkit=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError("django-oauth-toolkit is not pinned in requirements.txt")


def test_the_installed_toolkit_is_the_pinned_one():
    # A new version must be read against OVERRIDDEN and CALLED before the pin moves.
    assert version("django-oauth-toolkit") == _pinned()


@pytest.mark.parametrize("name", sorted(OVERRIDDEN))
def test_each_overridden_private_method_still_exists_with_our_parameters(name):
    theirs = getattr(OAuth2Validator, name, None)
    assert theirs is not None, f"DOT no longer has {name}"
    ours = vars(PortalValidator)[name]
    their_params = list(inspect.signature(theirs).parameters)
    our_params = list(inspect.signature(ours).parameters)
    assert len(our_params) == len(their_params), (name, our_params, their_params)


@pytest.mark.parametrize("name", sorted(OVERRIDDEN))
def test_dot_still_calls_each_overridden_method_where_we_expect(name):
    for caller in OVERRIDDEN[name]:
        source = inspect.getsource(getattr(OAuth2Validator, caller))
        assert f"self.{name}(" in source, f"DOT's {caller} no longer calls {name}"


@pytest.mark.parametrize("name", CALLED)
def test_each_private_method_we_call_still_exists(name):
    assert callable(getattr(OAuth2Validator, name, None)), f"DOT no longer has {name}"
