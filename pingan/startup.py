"""What happens once when the server starts (`streamlit run app.py` imports app.py as an st.App)."""
from __future__ import annotations

import sys
import threading

from . import auth, warehouse

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
REFUSAL = ("平安驾驶舱:尚未配置任何账户,不能在本机以外的地址({address})上提供服务。\n"
           "请先用 `python -m pingan.auth add 用户名 --role admin` 创建账户,或去掉 --server.address 在本机演示。\n"
           "Ping'an cockpit: no accounts are configured, so it will not serve on {address}; "
           "create one with `python -m pingan.auth add NAME --role admin`, or run locally.")


def bind_address() -> str:
    from streamlit import config

    return str(config.get_option("server.address") or "")


def check_or_exit(address: str | None = None) -> None:
    """Refuse to start on a non-local address while the app has no accounts (local demo mode)."""
    address = bind_address() if address is None else address
    if address not in LOOPBACK and not auth.accounts_configured():
        print(REFUSAL.format(address=address or "0.0.0.0(全部地址)"), file=sys.stderr)
        sys.exit(2)


def build_in_background() -> threading.Thread:
    """Build the warehouse while the server starts, so the first visitor waits less (sessions wait on
    the same build lock, with a spinner)."""
    t = threading.Thread(target=_ensure_quietly, name="warehouse-build", daemon=True)
    t.start()
    return t


def _ensure_quietly() -> None:
    try:
        message = warehouse.ensure()
        if message:
            print(message, file=sys.stderr)
    except Exception as exc:  # the first session will show the error in the page
        print(f"数据仓库构建失败:{exc}", file=sys.stderr)
