"""Texts of the app shell (app.py) and the scope filter (pingan/frame.py) without AppTest."""
from __future__ import annotations

import pytest

from pingan import auth, frame
from pingan.i18n import t


def test_the_login_prompt_states_the_lockout_rule():
    prompt = t("login_prompt", "zh", rule=auth.lockout_rule("zh"))
    assert (auth.MAX_FAILURES, auth.LOCK_SECONDS) == (5, 900)
    assert prompt == "请登录。账户由管理员开通;连续 5 次输错密码将锁定 15 分钟。"


@pytest.mark.parametrize("token, zh, en", [
    ("2022", "2022年", "2022"), ("2022H1", "2022年上半年", "2022H1"), ("2022H2", "2022年下半年", "2022H2"),
    ("2021Q1", "2021年第一季度", "2021Q1"), ("2022Q4", "2022年第四季度", "2022Q4"), ("2022-07", "2022年7月", "2022-07"),
])
def test_period_options_in_words(token, zh, en):
    assert frame._period_label(token, "zh") == zh
    assert frame._period_label(token, "en") == en
