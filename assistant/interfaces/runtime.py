"""Process-wide set-up that only entry points may do: logging and the encoder's threads.

Library modules never touch these: a program that embeds the assistant keeps its own
logging and thread settings. The CLI, the web server and the bench scripts call these
once, at start and between phases (ingest wants every core; a question wants one).
"""

from __future__ import annotations

import logging
import warnings


def configure_logging(verbose: bool = False) -> None:
    """Log lines to stderr: INFO with ``verbose``, else WARNING; quiet chatty libraries."""
    level = logging.INFO if verbose else logging.WARNING
    # The level is on the handler too: bm25s sets its own logger to DEBUG when it is
    # imported (after this runs), and would print "Building index from tokens" each build.
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio's own startup requests
    # requests and the Kubernetes client (via chromadb) probe urllib3's optional SOCKS
    # support; nothing here uses a SOCKS proxy, so its missing PySocks is not news.
    warnings.filterwarnings("ignore", message="SOCKS support in urllib3")
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a bar per model load is noise in a CLI


def configure_threads(threads: int | None) -> None:
    """Set torch's intra-op threads for this process (``None`` leaves torch's default).

    One thread is fastest for embedding a one-line question on a busy 2-core machine
    (p50 5× and p95 20× better than two, BENCHMARKS.md); ingest wants every core.
    """
    if not threads:
        return
    import torch

    torch.set_num_threads(threads)
