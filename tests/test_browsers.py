"""portal.browsers: the major browsers and systems by name and major version, scripts named as
scripts, and the summary agents read in both languages."""

from __future__ import annotations

import pytest
from django.utils import translation

from portal.browsers import describe, parse, summary

UAS = {
    "chrome_windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/156.0.0.0 Safari/537.36"
    ),
    "edge_windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86"
    ),
    "firefox_linux": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "safari_iphone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
    ),
    "safari_mac": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.6 Safari/605.1.15"
    ),
    "chrome_iphone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) CriOS/130.0.6723.90 Mobile/15E148 Safari/604.1"
    ),
    "chrome_android": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36"
    ),
    "wechat_android": (
        "Mozilla/5.0 (Linux; Android 13; V2244A) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 "
        "MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN"
    ),
    "qq_windows": (
        "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/94.0.4606.71 Safari/537.36 Core/1.94.202.400 QQBrowser/11.9.5355.400"
    ),
    "huawei_harmony": (
        "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/114.0.5735.196 Mobile Safari/537.36"
    ),
    "chromebook": (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.0.0 Safari/537.36"
    ),
}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("chrome_windows", ("Chrome", 156, "Windows")),
        ("edge_windows", ("Edge", 131, "Windows")),
        ("firefox_linux", ("Firefox", 133, "Linux")),
        ("safari_iphone", ("Safari", 18, "iOS")),
        ("safari_mac", ("Safari", 17, "macOS")),
        ("chrome_iphone", ("Chrome", 130, "iOS")),
        ("chrome_android", ("Chrome", 131, "Android")),
        ("wechat_android", ("WeChat", 8, "Android")),
        ("qq_windows", ("QQ Browser", 11, "Windows")),
        ("huawei_harmony", ("Chrome", 114, "HarmonyOS")),
        ("chromebook", ("Chrome", 130, "ChromeOS")),
    ],
)
def test_major_browsers_and_systems(key, expected):
    assert parse(UAS[key]) == expected


def test_the_summary_in_both_languages():
    with translation.override("en"):
        assert summary(UAS["chrome_windows"]) == "Chrome 156 on Windows"
        assert summary(UAS["safari_iphone"]) == "Safari 18 on iOS"
        assert summary("") == "no browser named"
        assert summary("Mozilla/5.0 (compatible; something odd)") == "an unrecognised browser"
    with translation.override("zh-hans"):
        assert summary(UAS["chrome_windows"]) == "Windows 上的 Chrome 156"
        assert summary("") == "未提供浏览器信息"
        assert summary("Mozilla/5.0 (compatible; something odd)") == "无法识别的浏览器"


@pytest.mark.parametrize(
    ("ua", "program"),
    [
        ("curl/8.5.0", "curl"),
        ("python-requests/2.32.3", "python-requests"),
        ("Go-http-client/1.1", "Go-http-client"),
        ("PostmanRuntime/7.42.0", "PostmanRuntime"),
    ],
)
def test_scripts_are_named_as_scripts(ua, program):
    with translation.override("en"):
        assert summary(ua) == f"a script ({program})"
    with translation.override("zh-hans"):
        assert summary(ua) == f"脚本程序（{program}）"


def test_describe_stays_english_for_stored_details():
    with translation.override("zh-hans"):
        assert describe(UAS["chrome_windows"]) == "Chrome 156 on Windows"
