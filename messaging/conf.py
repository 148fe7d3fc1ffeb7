"""Knobs of the messaging app, read lazily from settings with these defaults.

Environment-backed ones (the SMS caps and provider credentials) are set in ``portal/settings.py``;
the others may be overridden in settings by name.
"""

from __future__ import annotations

from django.conf import settings

DEFAULTS = {
    # Dotted callables f(*, kind, user, language) -> dict, merged into every message's context.
    "MESSAGING_CONTEXT_PROCESSORS": [],
    # Delivery attempts before a message is failed; backoff base * 2**(n-1) with jitter, capped.
    "MESSAGING_MAX_ATTEMPTS": 6,
    "MESSAGING_RETRY_BASE_SECONDS": 5.0,
    "MESSAGING_RETRY_CAP_SECONDS": 300.0,
    # The sweep re-queues rows still queued this long after they were due.
    "MESSAGING_REQUEUE_AFTER_SECONDS": 60,
    # A row "sending" for longer than this lost its worker (hard time limit is 60 s).
    "MESSAGING_SENDING_TIMEOUT_SECONDS": 180,
    "MESSAGING_SWEEP_BATCH": 500,
    # Messages without their own expiry are dropped when still unsent after this long.
    "MESSAGING_DEFAULT_TTL_SECONDS": 24 * 3600,
    # Keep secret bodies until expiry instead of wiping them at once (None: only in DEBUG, so the
    # demo inbox can show a reset code).
    "MESSAGING_KEEP_SECRETS_UNTIL_EXPIRY": None,
    "MESSAGING_MAX_SUBJECT_CHARS": 200,
    "MESSAGING_MAX_EMAIL_TEXT_BYTES": 8 * 1024,
    "MESSAGING_MAX_EMAIL_HTML_BYTES": 64 * 1024,
    # 5 segments of a UCS-2 (Chinese) SMS; one segment is 70 characters.
    "MESSAGING_MAX_SMS_CHARS": 335,
    "MESSAGING_INBOX_SIZE": 50,
    # The HTTP channel: {kind: dotted f(*, message) -> dict of form fields}, called at each
    # attempt so what it signs is fresh (the single sign-on app's logout token; a higher layer,
    # so named here, never imported). A kind without a builder posts its row's text as it is.
    "MESSAGING_HTTP_BODIES": {"sso_backchannel_logout": "sso.backchannel.logout_body"},
    "MESSAGING_HTTP_TIMEOUT": 5.0,
    "SMS_HTTP_TIMEOUT": 10.0,
    # Spend and abuse guard (env-backed in settings).
    "SMS_CAP_PER_NUMBER_HOUR": 5,
    "SMS_CAP_PER_NUMBER_DAY": 10,
    "SMS_CAP_PER_ACCOUNT_DAY": 10,
    "SMS_BUDGET_HOUR": 300,
    "SMS_BUDGET_DAY": 2000,
    "SMS_ALLOWED_REGIONS": ["CN"],
    # Priorities (messaging/kinds.py; env-backed in settings). Of every SMS cap above (number,
    # account, hourly and daily budget), courtesy SMS may fill at most this share and security
    # notices this share; codes may fill all of it.
    "SMS_SHARE_COURTESY_PERCENT": 50,
    "SMS_SHARE_SECURITY_PERCENT": 80,
    # Notices (every class but codes) to one account per clock hour, counted on each channel,
    # email included; courtesy notices stop at the second number. Over it a notice is dropped.
    "MESSAGING_NOTICES_PER_ACCOUNT_HOUR": 10,
    "MESSAGING_COURTESY_PER_ACCOUNT_HOUR": 3,
    # {kind: "code" | "security" | "courtesy"} added to (or overriding) messaging.kinds'.
    "MESSAGING_KIND_PRIORITIES": {},
    # Providers (env-backed in settings).
    "SMS_WEBHOOK_URL": "",
    "SMS_WEBHOOK_SECRET": "",
    "SMS_TWILIO_ACCOUNT_SID": "",
    "SMS_TWILIO_AUTH_TOKEN": "",
    "SMS_TWILIO_FROM": "",
    "SMS_TWILIO_MESSAGING_SERVICE_SID": "",
    "SMS_TWILIO_API_BASE": "https://api.twilio.com",
    "SMS_ALIYUN_ACCESS_KEY_ID": "",
    "SMS_ALIYUN_ACCESS_KEY_SECRET": "",
    "SMS_ALIYUN_SIGN_NAME": "",
    "SMS_ALIYUN_TEMPLATES": {},
    "SMS_ALIYUN_DEFAULT_TEMPLATE": "",
    "SMS_ALIYUN_ENDPOINT": "https://dysmsapi.aliyuncs.com/",
    "SMS_ALIYUN_REGION_ID": "cn-hangzhou",
    # Messengers (messaging/messengers/, docs/messengers.md; credentials env-backed in settings).
    "MESSENGER_WECOM_CORP_ID": "",
    "MESSENGER_WECOM_AGENT_ID": "",
    "MESSENGER_WECOM_SECRET": "",
    "MESSENGER_WECOM_API_BASE": "https://qyapi.weixin.qq.com",
    "MESSENGER_DINGTALK_APP_KEY": "",
    "MESSENGER_DINGTALK_APP_SECRET": "",
    "MESSENGER_DINGTALK_AGENT_ID": "",
    "MESSENGER_DINGTALK_API_BASE": "https://oapi.dingtalk.com",
    "MESSENGER_FEISHU_APP_ID": "",
    "MESSENGER_FEISHU_APP_SECRET": "",
    "MESSENGER_FEISHU_API_BASE": "https://open.feishu.cn",
    # {NAME: {"url": ..., "secret": ...}}: robots whose webhook comes from the environment.
    "MESSENGER_ROBOT_SECRETS": {},
    "MESSENGER_HTTP_TIMEOUT": 10.0,
    # An access token is fetched again this long before the provider says it expires.
    "MESSENGER_TOKEN_REFRESH_MARGIN_SECONDS": 300,
    # Spend guard of messenger sends (shared by priority like the SMS caps): per messenger id,
    # and the budget of all messenger sends.
    "MESSENGER_CAP_PER_ID_HOUR": 10,
    "MESSENGER_CAP_PER_ID_DAY": 30,
    "MESSENGER_BUDGET_HOUR": 2000,
    "MESSENGER_BUDGET_DAY": 20000,
    # Dotted f(*, user) -> {channel: id} of the account's verified messenger ids (accounts',
    # a higher layer, so named here, never imported).
    "MESSAGING_MESSENGER_IDS": "accounts.messenger_ids.verified_messenger_ids",
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def keep_secrets_until_expiry() -> bool:
    value = get("MESSAGING_KEEP_SECRETS_UNTIL_EXPIRY")
    return bool(settings.DEBUG) if value is None else bool(value)
