"""Reaching a Ray cluster before anything is started or written: a wrong or unreachable
address fails within ``ray_connect_timeout`` with a message naming it, rather than after
Ray's own retries (a minute or more)."""

from __future__ import annotations

import socket

from assistant.errors import ClusterUnavailable


def check_reachable(address: str, timeout: float, given: str | None = None) -> None:
    """Fail fast unless something accepts TCP connections at ``address`` (HOST:PORT or
    ray://HOST:PORT); "auto" and "local" are resolved by Ray itself.

    :param given: the address as the user gave it, when ``address`` was found from it.
    :raises ClusterUnavailable: the address is malformed or nothing answers in ``timeout``.
    """
    if address in ("auto", "local"):
        return
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterUnavailable(
            f"Ray address {address!r} is not HOST:PORT, ray://HOST:PORT, 'auto' or 'local'"
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        named = f"{address} (found for {given!r})" if given else address
        raise ClusterUnavailable(
            f"cannot reach the Ray cluster at {named} ({exc.strerror or exc}); is it "
            "running (`ray start --head`), and is the address right? Nothing was written."
        ) from exc


def auto_address() -> str:
    """The cluster ``ray.init("auto")`` would join (RAY_ADDRESS, or the one ``ray start``
    recorded on this machine), so a stale record fails fast instead of hanging.

    :raises ClusterUnavailable: no cluster is running here.
    """
    from ray._private.services import canonicalize_bootstrap_address

    try:
        found = canonicalize_bootstrap_address("auto")
    except Exception as exc:  # ConnectionError: none found
        raise ClusterUnavailable(
            f"no Ray cluster found for address 'auto' ({exc}); start one (`ray start "
            "--head`) or give its address. Nothing was written."
        ) from exc
    if not found:
        raise ClusterUnavailable(
            "no Ray cluster found for address 'auto'; start one (`ray start --head`) or "
            "give its address. Nothing was written."
        )
    return found
