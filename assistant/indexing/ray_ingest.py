"""Ingest on a Ray cluster: parsing, analysis and encoding there, the store written here.

``RayIngest`` connects (checking the address answers before anything else happens),
starts one analyser actor per node (kiwi loaded once each) and a pool of encoder actors
(the e5 model loaded once each, its threads sized to the actor's CPUs), and plugs into
``Ingester`` as its ``reader`` (files parsed and cleaned in Ray tasks, a few files
ahead; their bytes are read here and sent, so the nodes need not share a disk),
``analysis`` and ``encode`` steps. The plan — which files changed, which ids are new,
duplicates — and every write stay in the driver, in ``Ingester`` and ``BatchWriter``:
the store sees the same crash-safe forget → add batches as a local run, with the same
deterministic ids, so work Ray retries after a worker dies is written once.

Dead workers: parse tasks are retried, analyser and encoder calls are retried
(``ray_retries``) on a restarted actor. An actor restarts on a node with a free CPU:
losing a whole node needs spare CPUs elsewhere. Ray is imported here only, when a
``RayIngest`` is built.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from typing import Any

import numpy as np

from assistant.errors import ClusterUnavailable
from assistant.indexing.analysis import Analysed
from assistant.indexing.batches import Docs
from assistant.indexing.limits import Limits
from assistant.indexing.ray_connect import auto_address, check_reachable
from assistant.indexing.ray_stages import AnalyserActor, EncoderActor, portable_settings
from assistant.indexing.reading import FileItem, Read, as_read, digest, file_bytes, parse
from assistant.settings import Settings
from assistant.types import Article

log = logging.getLogger(__name__)
GROUP_CHARS = 20_000  # article text per analysis call: about 50 chunks


class RayAnalysis:
    """``analysis.Analysis`` on analyser actors: articles grouped, groups spread round-robin.

    :param actors: analyser actor handles.
    :param group_chars: article text gathered before a group is sent.
    """

    def __init__(self, actors: Sequence[Any], group_chars: int = GROUP_CHARS) -> None:
        self._actors = actors
        self._group_chars = group_chars
        self._pending: list[tuple[Article, Future[Analysed]]] = []
        self._chars = 0
        self._sent = 0

    def submit(self, article: Article) -> Future[Analysed]:
        """Hold ``article`` for its group; the group goes once it is big enough."""
        future: Future[Analysed] = Future()
        self._pending.append((article, future))
        self._chars += len(article.text)
        if self._chars >= self._group_chars:
            self.flush()
        return future

    def flush(self) -> None:
        """Send the group being gathered."""
        group, self._pending, self._chars = self._pending, [], 0
        if not group:
            return
        actor = self._actors[self._sent % len(self._actors)]
        self._sent += 1
        ref = actor.analyse.remote([article for article, _ in group])
        ref.future().add_done_callback(lambda done: _settle(done, [f for _, f in group]))

    def close(self) -> None:
        """Nothing to stop: the actors belong to ``RayIngest``."""


def _settle(done: Future[list[Any]], futures: list[Future[Analysed]]) -> None:
    """Hand a group's results (or the failure of the whole call) to each article's future."""
    try:
        results = done.result()
    except Exception as exc:
        for future in futures:
            future.set_exception(exc)
        return
    for future, result in zip(futures, results, strict=True):
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


class RayReader:
    """``reading.Reader`` on Ray tasks: each changed file's bytes are read here and parsed
    by a task, ``window`` files ahead of the loop; results come back in file order.

    :param parse_task: ``reading.parse`` as a Ray remote function.
    :param limits: the most a file and a document may be.
    :param window: files read and sent ahead of the one the loop waits for.
    """

    def __init__(self, ray: Any, parse_task: Any, limits: Limits, window: int) -> None:
        self._ray = ray
        self._parse = parse_task
        self.limits = limits
        self.window = window

    def read(
        self, files: Sequence[FileItem], recorded: Callable[[str], str | None]
    ) -> Iterator[Read | Exception]:
        """See ``reading.Reader.read``."""
        ahead: deque[Read | Exception | tuple[str, Any]] = deque()
        todo = iter(files)
        while True:
            while len(ahead) < self.window and (item := next(todo, None)) is not None:
                ahead.append(self._send(*item, recorded))
            if not ahead:
                return
            first = ahead.popleft()
            yield self._received(*first) if isinstance(first, tuple) else first

    def _received(self, sha: str, ref: Any) -> Read | Exception:
        """A parse task's result; a task Ray gave up on makes its file a skip (warned
        about, not recorded, so the next run reads it again)."""
        try:
            return as_read(sha, self._ray.get(ref))
        except Exception as exc:
            return exc

    def _send(
        self, path: Any, root: Any, key: str, recorded: Callable[[str], str | None]
    ) -> Read | Exception | tuple[str, Any]:
        try:
            data = file_bytes(path, self.limits)
        except Exception as exc:
            return exc
        sha = digest(data)
        if recorded(key) == sha:
            return Read(sha, None)
        return sha, self._parse.remote(path, root, data, self.limits)


def split_docs(docs: Docs, part_chunks: int) -> list[list[Any]]:
    """``docs`` in consecutive parts of about ``part_chunks`` chunks (a document is never
    split, so each part's sentence vectors are its documents' own)."""
    parts: list[list[Any]] = [[]]
    size = 0
    for doc in docs:
        if parts[-1] and size + len(doc[2]) > part_chunks:
            parts.append([])
            size = 0
        parts[-1].append(doc)
        size += len(doc[2])
    return [p for p in parts if p]


class RayIngest:
    """A connection to a Ray cluster and the ingest's workers on it; a context manager.

    :param settings: ``ray_address`` (where), ``ray_*`` (how many encoders, their CPUs,
        parts, retries, the connect timeout) and what the workers need (model, backend,
        chunking). The model must be prepared (``prepare_runtime``) where the workers
        can read it: this machine, or the same path on every node.
    :param address: instead of ``settings.ray_address``.
    :raises ClusterUnavailable: Ray is not installed, or the address cannot be reached or
        used; nothing has been started then.
    """

    def __init__(self, settings: Settings, address: str | None = None) -> None:
        self.address = address or settings.ray_address or "auto"
        self.settings = settings
        self._owned = False
        self._ray = self._connect()
        try:
            self._start()
        except Exception:
            self.close()
            raise
        self.parts_sent = 0  # encoding calls sent and done, for progress watchers
        self.parts_done = 0
        self._dim = 0

    def _connect(self) -> Any:
        check_reachable(self.address, self.settings.ray_connect_timeout)
        try:
            import ray
        except ImportError as exc:
            raise ClusterUnavailable(
                "Ray is not installed: install the cluster extra (pip install '.[cluster]')"
            ) from exc
        if ray.is_initialized():  # this process is already connected (tests, notebooks)
            return ray
        if self.address == "auto":  # the address Ray would use, checked as any other
            check_reachable(auto_address(), self.settings.ray_connect_timeout, "auto")
        local = self.address == "local"
        try:
            ray.init(
                address=None if local else self.address,
                include_dashboard=False if local else None,
                logging_level=logging.WARNING,
                log_to_driver=False,
                configure_logging=False,
            )
        except Exception as exc:  # ConnectionError, RuntimeError, TimeoutError …
            raise ClusterUnavailable(
                f"cannot use the Ray cluster at {self.address}: {exc}. Nothing was written."
            ) from exc
        self._owned = True
        return ray

    def _start(self) -> None:
        from assistant.models.embedder import prepare_runtime

        ray, s = self._ray, self.settings
        prepare_runtime(s)  # converted once here, not raced by every actor
        nodes = [n for n in ray.nodes() if n.get("Alive") and n["Resources"].get("CPU", 0) > 0]
        cpus = sum(int(n["Resources"]["CPU"]) for n in nodes)
        count = s.ray_encoders or max(1, cpus // s.ray_encoder_cpus)
        retries = {"max_restarts": s.ray_retries, "max_task_retries": s.ray_retries}
        encoder = ray.remote(EncoderActor).options(
            num_cpus=s.ray_encoder_cpus, scheduling_strategy="SPREAD", **retries
        )
        portable = portable_settings(s)
        self.encoders = [encoder.remote(portable, s.ray_encoder_cpus) for _ in range(count)]
        # analysis shares the encoders' CPUs (as the local loop does): it holds none
        analyser = ray.remote(AnalyserActor).options(
            num_cpus=0, scheduling_strategy="SPREAD", **retries
        )
        self.analysers = [
            analyser.remote(s.chunk_tokens, s.chunk_overlap_sentences)
            for _ in range(max(1, len(nodes)))
        ]
        # parsing holds no CPU either; at most ``window`` files are in flight
        self._parse = ray.remote(parse).options(num_cpus=0, max_retries=s.ray_retries)
        self._window = 2 * max(1, len(nodes))

    def ready(self) -> None:
        """Wait until every actor has loaded its model (so a benchmark can time the ingest
        alone); an ingest does not need to call this."""
        self._ray.get([a.pid.remote() for a in [*self.encoders, *self.analysers]])

    def reader(self, limits: Limits) -> RayReader:
        """A ``Reader`` that parses files in Ray tasks, for one ``Ingester`` run.

        :param limits: the most a file and a document may be.
        """
        return RayReader(self._ray, self._parse, limits, self._window)

    def analysis(self) -> RayAnalysis:
        """An ``Analysis`` on this cluster's analysers, for one ``Ingester`` run."""
        return RayAnalysis(self.analysers)

    def encode(
        self, docs: Docs, progress: Callable[[int], object] = lambda n: None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``Encode`` on the encoder pool: parts of the batch in parallel, results in order.

        :param docs: (article, file key, chunks) per document.
        :param progress: called with each finished part's chunk count.
        """
        ray = self._ray
        if not docs:  # a batch that only records files
            dim = self._dim or ray.get(self.encoders[0].dim.remote())
            self._dim = dim
            empty = np.zeros((0, dim), dtype=np.float32)
            return empty, empty
        parts = split_docs(docs, self.settings.ray_part_chunks)
        refs = []
        for i, part in enumerate(parts):
            refs.append(self.encoders[i % len(self.encoders)].encode.remote(part))
            self.parts_sent += 1
        sizes = {ref: sum(len(d[2]) for d in part) for ref, part in zip(refs, parts, strict=True)}
        waiting = list(refs)
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            self.parts_done += 1
            progress(sizes[done[0]])
        results = ray.get(refs)
        return np.concatenate([c for c, _ in results]), np.concatenate([s for _, s in results])

    def close(self) -> None:
        """Stop the actors, and Ray itself if this object started the connection."""
        ray = self._ray if hasattr(self, "_ray") else None
        if ray is None:
            return
        for actor in [*getattr(self, "encoders", []), *getattr(self, "analysers", [])]:
            ray.kill(actor, no_restart=True)
        if self._owned:
            ray.shutdown()
            self._owned = False

    def __enter__(self) -> RayIngest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
