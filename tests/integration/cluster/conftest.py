"""A real two-node Ray cluster on this machine for the session: a head and one more node,
one CPU each, started in this process's environment (so its workers import this
checkout) and connected to once; torn down at the end.

The nodes bind the machine's own address, not 127.0.0.1: Ray 2.60 rewrites a loopback
address given to ``ray.init`` into the node's IP (``resolve_ip_for_localhost``), so a
GCS bound to 127.0.0.1 alone cannot be joined. Nothing leaves the machine either way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """The GCS address of a running two-node cluster this process is connected to."""
    ray = pytest.importorskip("ray", reason="needs the cluster extra: pip install '.[cluster]'")
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
    )
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
        alive = [n for n in ray.nodes() if n["Alive"]]
        assert len(alive) == 2, alive
        yield cluster.address
    finally:
        ray.shutdown()
        cluster.shutdown()
