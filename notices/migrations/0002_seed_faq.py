"""Seed the help centre with the questions employees ask most about signing in.

Admins edit these in the admin afterwards. ``{lock_failures}`` and the other tokens are filled in
by the help pages with the portal's current settings.
"""

from django.db import migrations

FAQ = [
    {
        "slug": "forgot-password",
        "position": 10,
        "question_en": "I forgot my password. What do I do?",
        "question_zh": "我忘记了密码，怎么办？",
        "answer_en": (
            "Choose \"Reset my password\" and enter your username, work email or mobile number. "
            "We send a 6-digit code to the email address or mobile phone the company has on file "
            "for you; it is valid for 10 minutes. Enter it and choose a new password of at least "
            "{password_min_length} characters.\n\n"
            "Resetting your password also unlocks your account and signs you out everywhere else."
        ),
        "answer_zh": (
            "点击“重置密码”，输入您的用户名、工作邮箱或手机号。我们会向公司为您登记的邮箱或手机"
            "发送一个 6 位验证码，有效期 10 分钟。输入验证码后，设置一个至少 "
            "{password_min_length} 个字符的新密码。\n\n"
            "重置密码后，账户锁定会立即解除，其他设备上的登录也会全部退出。"
        ),
        "link_url": "/accounts/password/reset/",
        "link_label_en": "Reset my password",
        "link_label_zh": "重置密码",
    },
    {
        "slug": "account-locked",
        "position": 20,
        "question_en": "My account is locked. Is it permanent?",
        "question_zh": "我的账户被锁定了，是永久锁定吗？",
        "answer_en": (
            "No. After {lock_failures} wrong passwords in a row the account is locked, at first "
            "for {lock_minutes} minutes, to protect it from password guessing; then it unlocks by "
            "itself. The lock page shows when.\n\n"
            "To get in sooner, reset your password: that unlocks the account at once. If you "
            "cannot receive a code, file an unlock request and the helpdesk will help you."
        ),
        "answer_zh": (
            "不是。连续输错 {lock_failures} 次密码后，为防止他人猜测密码，账户会被锁定（首次锁定 "
            "{lock_minutes} 分钟），之后自动解锁。锁定页面会显示解锁时间。\n\n"
            "如需尽快登录，请重置密码，账户会立即解锁。如果收不到验证码，请提交解锁申请，"
            "服务台会协助您。"
        ),
        "link_url": "/accounts/locked/",
        "link_label_en": "See when my account unlocks",
        "link_label_zh": "查看解锁时间",
    },
    {
        "slug": "lock-duration",
        "position": 30,
        "question_en": "How long does a lock last?",
        "question_zh": "账户锁定会持续多久？",
        "answer_en": (
            "A first lock lasts {lock_minutes} minutes and then ends by itself. If the account is "
            "locked again within {lock_recurrence_hours} hours after a lock ended, the new lock "
            "lasts twice as long as the one before, up to {lock_max_hours} hours. Trying again "
            "while the account is locked does not make the lock longer, and the password you type "
            "then is not checked. The lock page always shows the exact time your account "
            "unlocks.\n\n"
            "A password reset, or a helpdesk agent after checking who you are, ends a lock at once."
        ),
        "answer_zh": (
            "首次锁定持续 {lock_minutes} 分钟，之后自动解除。如果在上次锁定结束后 "
            "{lock_recurrence_hours} 小时内再次被锁定，新的锁定时间是上一次的两倍，最长 "
            "{lock_max_hours} 小时。锁定期间再次尝试登录不会延长锁定时间，此时输入的密码也不会"
            "被校验。锁定页面始终显示账户的确切解锁时间。\n\n"
            "重置密码，或由服务台在核实您的身份后操作，都可以立即解除锁定。"
        ),
        "link_url": "/accounts/locked/",
        "link_label_en": "See when my account unlocks",
        "link_label_zh": "查看解锁时间",
    },
    {
        "slug": "maintenance",
        "position": 40,
        "question_en": "What does the maintenance message at the top of the page mean?",
        "question_zh": "页面顶部的维护通知是什么意思？",
        "answer_en": (
            "The company is working on the portal or a connected system. The message says what is "
            "affected and when the service is expected back, in local time. While maintenance "
            "closes sign-in, no password is checked at all, so trying does not lock your account.\n\n"
            "You do not need to reset your password or file an unlock request because of "
            "maintenance: wait until the time shown. Planned maintenance is announced up to "
            "{lead_hours} hours in advance."
        ),
        "answer_zh": (
            "公司正在对门户或相关系统进行维护。通知会说明受影响的范围，以及预计恢复的时间"
            "（当地时间）。在暂停登录的维护期间，系统不会校验任何密码，因此尝试登录不会导致"
            "账户被锁定。\n\n"
            "维护期间无需重置密码，也无需提交解锁申请，请等到通知中的时间后再试。计划内的维护"
            "会提前最多 {lead_hours} 小时发布通知。"
        ),
        "link_url": "",
        "link_label_en": "",
        "link_label_zh": "",
    },
    {
        "slug": "new-device",
        "position": 50,
        "question_en": "I am signing in from a new phone or computer. What changes?",
        "question_zh": "我在新手机或新电脑上登录，需要注意什么？",
        "answer_en": (
            "Your password is the same on every device. On a new device or browser you sign in "
            "again, and you may get an email about a sign-in from a new browser: if it was not "
            "you, reset your password at once.\n\n"
            "If you use an authenticator app for two-step sign-in and replaced your phone, the "
            "codes stay on the old phone. Use one of your backup codes, or file an unlock request: "
            "the helpdesk checks who you are and resets your two-step sign-in."
        ),
        "answer_zh": (
            "您的密码在所有设备上都相同。在新设备或新浏览器上需要重新登录，您可能会收到一封"
            "“新浏览器登录”的提醒邮件：如果不是您本人操作，请立即重置密码。\n\n"
            "如果您使用身份验证器应用进行两步登录并更换了手机，验证码仍在旧手机上。请使用备用码"
            "登录，或提交解锁申请：服务台核实您的身份后会重置您的两步登录。"
        ),
        "link_url": "/tickets/unlock/",
        "link_label_en": "File an unlock request",
        "link_label_zh": "提交解锁申请",
    },
    {
        "slug": "wrong-password",
        "position": 60,
        "question_en": "I am sure my password is right, but sign-in fails.",
        "question_zh": "我确定密码正确，但仍然无法登录。",
        "answer_en": (
            "Check that Caps Lock is off, that the keyboard layout is the one you use, and that "
            "your Chinese input method is in English half-width mode (full-width letters such as "
            "ａｂｃ are different characters). Type the password instead of pasting it with an "
            "extra space.\n\n"
            "If you changed your password recently, use the new one everywhere, including mail "
            "apps on your phone: they keep trying the old one and can lock your account. If "
            "maintenance is going on, sign-in may be closed: see the notice at the top of the page."
        ),
        "answer_zh": (
            "请检查：大写锁定键（Caps Lock）是否已关闭；键盘布局是否正确；中文输入法是否处于"
            "英文半角状态（全角字母如“ａｂｃ”是不同的字符）。请手动输入密码，不要复制粘贴，"
            "以免带入多余的空格。\n\n"
            "如果您最近修改过密码，请在所有地方改用新密码，包括手机上的邮件应用：它们会不断用"
            "旧密码重试，可能导致账户被锁定。如果正在进行维护，登录可能已暂停，请查看页面顶部"
            "的通知。"
        ),
        "link_url": "/accounts/password/reset/",
        "link_label_en": "Reset my password",
        "link_label_zh": "重置密码",
    },
    {
        "slug": "no-code",
        "position": 70,
        "question_en": "I did not receive the code.",
        "question_zh": "我没有收到验证码。",
        "answer_en": (
            "Codes go only to the work email and mobile number the company has verified for you. "
            "An email can take a minute: check your spam folder. An SMS may be late on a weak "
            "signal. A code is valid for 10 minutes; ask for a new one if it expired.\n\n"
            "If your email address or phone number has changed, file an unlock request: the "
            "helpdesk updates it after checking who you are."
        ),
        "answer_zh": (
            "验证码只会发送到公司为您核实过的工作邮箱和手机号。邮件可能需要一分钟左右，请同时"
            "查看垃圾邮件文件夹；信号较弱时短信可能会延迟。验证码有效期为 10 分钟，过期后请重新"
            "获取。\n\n"
            "如果您的邮箱或手机号已更换，请提交解锁申请，服务台核实您的身份后会为您更新。"
        ),
        "link_url": "/tickets/unlock/",
        "link_label_en": "File an unlock request",
        "link_label_zh": "提交解锁申请",
    },
    {
        "slug": "network",
        "position": 80,
        "question_en": "The portal does not load or keeps spinning.",
        "question_zh": "门户打不开或一直在加载。",
        "answer_en": (
            "Check that you are connected to the company network, or to the VPN when you work "
            "remotely, and try opening another internal site. Reload the page; if it still fails, "
            "clear your browser's cache for this site or try another browser.\n\n"
            "If no internal site loads, the problem is the network: call your IT support."
        ),
        "answer_zh": (
            "请确认已连接公司网络（远程办公时请先连接 VPN），并尝试打开其他内部网站。刷新页面；"
            "如果仍然失败，请清除浏览器中本网站的缓存，或换一个浏览器试试。\n\n"
            "如果所有内部网站都打不开，说明是网络问题，请致电 IT 支持。"
        ),
        "link_url": "",
        "link_label_en": "",
        "link_label_zh": "",
    },
    {
        "slug": "browser",
        "position": 90,
        "question_en": "Which browsers are supported?",
        "question_zh": "支持哪些浏览器？",
        "answer_en": (
            "Recent versions of Chrome, Edge, Firefox and Safari, and of the browsers of WeChat, "
            "QQ and 360. Internet Explorer is not supported.\n\n"
            "If pages look broken or buttons do nothing, update your browser or switch to Chrome "
            "or Edge. In 360 or QQ Browser, use speed mode (极速模式), not compatibility mode."
        ),
        "answer_zh": (
            "支持较新版本的 Chrome、Edge、Firefox、Safari，以及微信、QQ 浏览器和 360 浏览器。"
            "不支持 Internet Explorer。\n\n"
            "如果页面显示异常或按钮没有反应，请升级浏览器，或改用 Chrome 或 Edge。使用 360 或 "
            "QQ 浏览器时，请切换到“极速模式”，不要使用“兼容模式”。"
        ),
        "link_url": "",
        "link_label_en": "",
        "link_label_zh": "",
    },
    {
        "slug": "cookies",
        "position": 100,
        "question_en": "The portal keeps asking me to sign in again.",
        "question_zh": "门户总是要求我重新登录。",
        "answer_en": (
            "Your browser must accept cookies from the portal to keep you signed in. Allow cookies "
            "for this site in your browser's settings (and in any privacy extension), then reload "
            "the page.\n\n"
            "For your safety a session also ends after {idle_minutes} minutes without activity."
        ),
        "answer_zh": (
            "浏览器必须允许门户的 Cookie 才能保持登录状态。请在浏览器设置（以及隐私类扩展）中"
            "允许本网站的 Cookie，然后刷新页面。\n\n"
            "为了安全，{idle_minutes} 分钟无操作后登录也会自动结束。"
        ),
        "link_url": "",
        "link_label_en": "",
        "link_label_zh": "",
    },
    {
        "slug": "clock",
        "position": 110,
        "question_en": "Does my device's clock matter?",
        "question_zh": "设备的时间不准会有影响吗？",
        "answer_en": (
            "Yes. When your computer's or phone's clock is wrong, secure connections can fail and "
            "codes from an authenticator app are refused. Set the device to get the date, time "
            "and time zone automatically, then try again."
        ),
        "answer_zh": (
            "会。电脑或手机的时间不准确时，安全连接可能失败，身份验证器应用生成的验证码也会被"
            "拒绝。请将设备设置为自动获取日期、时间和时区，然后重试。"
        ),
        "link_url": "",
        "link_label_en": "",
        "link_label_zh": "",
    },
    {
        "slug": "unlock-request",
        "position": 120,
        "question_en": "When should I file an unlock request, and what happens next?",
        "question_zh": "什么时候应该提交解锁申请？提交后会怎样？",
        "answer_en": (
            "File one when resetting your password does not work for you: you cannot receive "
            "codes, your contact details changed, or your account stays locked.\n\n"
            "The helpdesk checks who you are, then unlocks your account or sends you a reset code. "
            "An agent never asks for your password. You get a link to follow your request."
        ),
        "answer_zh": (
            "当您无法通过重置密码解决问题时，请提交申请：例如收不到验证码、联系方式已更换，或"
            "账户一直处于锁定状态。\n\n"
            "服务台会先核实您的身份，然后为您解锁账户或发送重置验证码。服务台人员绝不会向您索要"
            "密码。提交后您会收到一个链接，可随时查看申请进度。"
        ),
        "link_url": "/tickets/unlock/",
        "link_label_en": "File an unlock request",
        "link_label_zh": "提交解锁申请",
    },
]


def seed(apps, schema_editor):
    FaqEntry = apps.get_model("notices", "FaqEntry")
    for entry in FAQ:
        FaqEntry.objects.update_or_create(slug=entry["slug"], defaults=entry)


def unseed(apps, schema_editor):
    FaqEntry = apps.get_model("notices", "FaqEntry")
    FaqEntry.objects.filter(slug__in=[e["slug"] for e in FAQ]).delete()


class Migration(migrations.Migration):
    dependencies = [("notices", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
