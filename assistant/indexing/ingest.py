"""Files → documents → chunks → vectors, incrementally.

A file whose bytes are unchanged is not even parsed again; a changed file's documents are
compared by content hash, so only new or edited articles are embedded. Work is flushed in
batches, each committed to the catalog only after Chroma holds its vectors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from assistant.indexing.analysis import Analysis, InlineAnalysis, WorkerAnalysis
from assistant.indexing.batches import Batch, BatchWriter, Encode, skip_reason
from assistant.indexing.chunking import Chunker
from assistant.indexing.files import find_files
from assistant.indexing.limits import Limits
from assistant.indexing.reading import InlineReader, Read, Reader
from assistant.indexing.report import IngestReport
from assistant.indexing.sources import absolute, check_name, folder_root, scope, source_for
from assistant.models.embedder import Embedder
from assistant.storage.keys import file_key, key_path, path_text
from assistant.storage.store import Store
from assistant.text.korean import KoreanAnalyzer
from assistant.types import Article

log = logging.getLogger(__name__)
BATCH_CHARS = 100_000  # article text per batch: about 250 chunks of 200 tokens


@dataclass(frozen=True)
class _Plan:
    """What one read file asks of the store; made before the store is touched, so a file
    that fails to read or parse changes nothing (one whose analysis fails is skipped when
    its batch is written, see ``batches``)."""

    sha: str
    ids: list[str]
    todo: list[Article] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    claims: dict[str, str] = field(default_factory=dict)
    counts: tuple[int, int, int] = (0, 0, 0)  # new, changed, unchanged


class Ingester:
    """Brings the store in line with a set of files and folders, embedding only what changed.

    :param store: where chunks, sentences, vectors and the per-file record are kept.
    :param embedder: embeds chunk texts and sentences as passages.
    :param chunker: splits articles into sentence-aligned chunks.
    :param analyzer: gives each chunk's BM25 terms.
    :param limits: the most one file or document may be (default: ``Limits()``).
    :param workers: processes that chunk and analyse articles beside the encoder; 0 does
        it in this process, between batches.
    :param workers_after: articles analysed in this process before the workers start, so
        a small run (an upload) does not wait for them to load.
    :param analysis: where articles are analysed instead (e.g. Ray tasks); ``workers`` is
        then unused. The ingester does not close it.
    :param encode: how a batch's chunks and sentences are embedded instead of with
        ``embedder`` (e.g. a Ray actor pool); ``embedder`` still names the model.
    :param reader: how files are read and parsed instead of one by one here (e.g. ahead,
        on Ray workers); the comparison with the store stays here, in order.
    """

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        chunker: Chunker,
        analyzer: KoreanAnalyzer,
        limits: Limits | None = None,
        *,
        workers: int = 0,
        workers_after: int = 32,
        analysis: Analysis | None = None,
        encode: Encode | None = None,
        reader: Reader | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.analyzer = analyzer
        self.limits = limits or Limits()
        self.workers = workers
        self.workers_after = workers_after
        self.analysis = analysis
        self.encode = encode
        self.reader = reader or InlineReader(self.limits)

    def run(
        self,
        paths: Iterable[Path | str],
        *,
        source: str | None = None,
        progress: bool = True,
        warn: Callable[[str], None] | None = None,
    ) -> IngestReport:
        """Ingest every supported file under ``paths``; forget articles of files now gone.

        Each folder (a file's own folder, for a file given by name) is a source, named
        ``source`` or after the folder (``indexing.sources``); ids, updates and deletes stay
        within it. Anything that goes wrong reading, parsing or chunking one file, and
        every file over a limit, is passed to ``warn`` (default: a log warning) with the
        file's name and listed in the report; the rest is ingested.

        :param source: the source name for all of ``paths``.
        :param progress: show progress bars for files and embedded chunks.
        :raises ValueError: ``source`` is not a usable name.
        :raises IndexMismatch: the index was built with another model, or before ids
            named their source (``IndexOutdated``).
        """
        started = time.perf_counter()
        report = IngestReport()

        def _warn(message: str) -> None:
            report.warnings.append(message)
            (warn or log.warning)(message)

        paths = [Path(p) for p in paths]
        if source is not None:
            check_name(source)
        self.store.check_model(self.embedder.settings.embedding_model, self.embedder.dim)
        self.store.check_ids()
        self.store.upgrade()
        self.store.reconcile()
        found = list(find_files(paths, _warn))
        names: dict[Path, str] = {}
        for root in [folder_root(p) for p in paths] + [r for _, r in found]:
            if root not in names:
                names[root] = source_for(self.store, root, source)
                report.sources[names[root]] = path_text(absolute(root))
        keys = [file_key(names[root], absolute(f)) for f, root in found]
        given = [file_key(names[folder_root(p)], absolute(p)) for p in paths]
        in_run = set(keys)
        gone = [k for k in dict.fromkeys(self.store.files_under(given)) if k not in in_run]
        for key in gone:
            ids = self._held(key, self.store.file_doc_ids(key), {})
            report.deleted += len(ids)
            self.store.forget(ids, [key])

        claimed: dict[str, str] = {}  # doc_id → file, to warn about duplicates
        bar = tqdm(found, desc="read", unit="file", disable=not progress)
        chunk_bar = tqdm(desc="embedded", unit="chunk", total=0, disable=not progress, position=1)
        writer = BatchWriter(self.store, self.embedder, report, _warn, chunk_bar, self.encode)
        analysis: Analysis = self.analysis or InlineAnalysis(self.chunker, self.analyzer)
        submitted = 0
        batch = Batch()
        reads = self.reader.read(
            [(f, root, key) for (f, root), key in zip(found, keys, strict=True)],
            self.store.file_sha,
        )
        try:
            for (f, root), key, read in zip(bar, keys, reads, strict=True):
                report.files += 1
                bar.set_postfix_str(path_text(f.name)[-40:], refresh=True)
                try:
                    if isinstance(read, Exception):
                        raise read
                    for message in read.warnings:
                        _warn(message)
                    plan = self._plan(read, names[root], key, claimed, in_run, _warn)
                except Exception as exc:  # one bad file costs that file, never the run
                    log.debug("skipped %s", path_text(f), exc_info=True)
                    _warn(f"skipped {path_text(f)}: {skip_reason(exc)}")
                    continue
                claimed.update(plan.claims)
                new, changed, unchanged = plan.counts
                report.new, report.changed = report.new + new, report.changed + changed
                report.unchanged += unchanged
                report.deleted += len(plan.dropped)
                if not (plan.todo or plan.dropped or self.store.file_sha(key) != plan.sha):
                    continue  # the file's bytes are unchanged
                batch.forget.append((key, [a.doc_id for a in plan.todo] + plan.dropped))
                for article in plan.todo:
                    if submitted == self.workers_after and self.workers and not self.analysis:
                        analysis = WorkerAnalysis(self.chunker, self.workers)
                    batch.add(article, key, analysis.submit(article))
                    writer.expect(article)
                    submitted += 1
                    if batch.chars >= BATCH_CHARS:  # a big JSONL file is written as it goes
                        analysis.flush()
                        writer.push(batch)
                        batch = Batch()
                # a file is recorded with (or after) its last documents, never before them
                batch.files[key] = (plan.sha, plan.ids)
            analysis.flush()
            writer.push(batch)
            writer.finish()
        finally:
            if analysis is not self.analysis:
                analysis.close()
        chunk_bar.close()
        self.store.lexical(wait=True)  # rebuild BM25 now rather than on the first question
        report.seconds = time.perf_counter() - started
        return report

    def _plan(
        self,
        read: Read,
        source: str,
        key: str,
        claimed: dict[str, str],
        in_run: set[str],
        warn: Callable[[str], None],
    ) -> _Plan:
        """Compare one read file with the store; nothing is written.

        :param claimed: doc_id → file key, for the ids files earlier in this run hold.
        :param in_run: the keys of every file in this run.
        """
        sha = read.sha
        if read.articles is None:  # the bytes the store recorded
            ids = self.store.file_doc_ids(key)
            return _Plan(sha, ids, claims=dict.fromkeys(ids, key), counts=(0, 0, len(ids)))
        loaded = [scope(a, source) for a in read.articles]
        articles, claims = self._dedupe(loaded, key, claimed, in_run, warn)
        ids = [a.doc_id for a in articles]
        known = self.store.doc_hashes(ids)
        old = [d for d in self.store.file_doc_ids(key) if d not in set(ids)]
        dropped = self._held(key, old, claimed)
        todo, new, changed, unchanged = [], 0, 0, 0
        for article in articles:
            stored = known.get(article.doc_id)
            if stored and stored[0] == article.content_hash and stored[1] == key:
                unchanged += 1
                continue
            if stored:
                changed += 1
            else:
                new += 1
            todo.append(article)
        return _Plan(sha, ids, todo, dropped, claims, (new, changed, unchanged))

    def _dedupe(
        self,
        articles: list[Article],
        key: str,
        claimed: dict[str, str],
        in_run: set[str],
        warn: Callable[[str], None],
    ) -> tuple[list[Article], dict[str, str]]:
        """The articles whose ids no other file holds, and their claims (id → file).

        Another file holds an id when it claimed it earlier in this run, or when the
        catalog lists it for a file that is still recorded and not part of this run (a
        file in this run keeps what it still has when its turn comes).
        """
        ours: dict[str, str] = {}
        stored = self.store.doc_hashes([a.doc_id for a in articles])
        out = []
        for article in articles:
            other = ours.get(article.doc_id) or claimed.get(article.doc_id)
            if other is None and article.doc_id in stored:
                path = stored[article.doc_id][1]
                if path != key and path not in in_run and self.store.file_sha(path) is not None:
                    other = path
            if other is not None:
                where = "twice in this file" if other == key else f"also in {key_path(other)}"
                warn(f"{article.source}: document id '{article.doc_id}' {where}; kept the first")
                continue
            ours[article.doc_id] = key
            out.append(article)
        return out, ours

    def _held(self, key: str, doc_ids: list[str], claimed: dict[str, str]) -> list[str]:
        """Those of ``doc_ids`` that file ``key`` still holds: listed with it in the catalog
        and not claimed by another file in this run, so dropping them loses nobody else's."""
        listed = self.store.doc_hashes(doc_ids)
        return [
            d
            for d in doc_ids
            if claimed.get(d, key) == key and (d not in listed or listed[d][1] == key)
        ]
