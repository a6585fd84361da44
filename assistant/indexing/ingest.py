"""Files → documents → chunks → vectors, incrementally.

A file whose bytes are unchanged is not even parsed again; a changed file's documents are
compared by content hash, so only new or edited articles are embedded. Work is flushed in
batches, each committed to the catalog only after Chroma holds its vectors.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from assistant.errors import UnreadableFile
from assistant.indexing.chunking import Chunker
from assistant.indexing.corpus import load_file
from assistant.indexing.files import find_files
from assistant.models.embedder import Embedder
from assistant.storage.store import Store, unique_sentences
from assistant.text.korean import KoreanAnalyzer
from assistant.types import Article, Chunk

log = logging.getLogger(__name__)
FLUSH_CHUNKS = 256


@dataclass
class IngestReport:
    """What one ingest run did, counted in articles (and chunks/sentences embedded).

    Mutable on purpose: the run adds to it as it goes, and callers that ingest in
    batches (the web upload) sum several into one.
    """

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    files: int = 0
    chunks_embedded: int = 0
    sentences_embedded: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for a terminal or a status bar."""
        return (
            f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged, "
            f"{self.deleted} deleted ({self.files} files, {self.chunks_embedded} chunks "
            f"embedded, {self.seconds:.1f} s)"
        )


@dataclass
class _Pending:
    docs: list[tuple[Article, str, list[Chunk]]] = field(default_factory=list)
    files: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    @property
    def chunk_count(self) -> int:
        return sum(len(c) for _, _, c in self.docs)


class Ingester:
    """Brings the store in line with a set of files and folders, embedding only what changed.

    :param store: where chunks, sentences, vectors and the per-file record are kept.
    :param embedder: embeds chunk texts and sentences as passages.
    :param chunker: splits articles into sentence-aligned chunks.
    :param analyzer: gives each chunk's BM25 terms.
    """

    def __init__(
        self, store: Store, embedder: Embedder, chunker: Chunker, analyzer: KoreanAnalyzer
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.analyzer = analyzer

    def run(
        self,
        paths: Iterable[Path | str],
        *,
        progress: bool = True,
        warn: Callable[[str], None] | None = None,
    ) -> IngestReport:
        """Ingest every supported file under ``paths``; forget articles of files now gone.

        Unreadable files, bad records and duplicate ids are passed to ``warn`` (default: a
        log warning), listed in the report, and skipped; the rest is ingested.

        :param progress: show progress bars for files and embedded chunks.
        """
        started = time.perf_counter()
        report = IngestReport()

        def _warn(message: str) -> None:
            report.warnings.append(message)
            (warn or log.warning)(message)

        paths = [Path(p) for p in paths]
        self.store.check_model(self.embedder.settings.embedding_model, self.embedder.dim)
        self.store.reconcile()
        found = list(find_files(paths))
        seen_paths = {str(f.resolve()) for f, _ in found}
        gone = [p for p in self.store.files_under(paths) if p not in seen_paths]
        for path in gone:
            ids = self.store.file_doc_ids(path)
            report.deleted += len(ids)
            self.store.forget(ids, [path])

        pending = _Pending()
        claimed: dict[str, str] = {}  # doc_id → file, to warn about duplicates
        bar = tqdm(found, desc="files", unit="file", disable=not progress)
        chunk_bar = tqdm(desc="embedded", unit="chunk", disable=not progress, position=1)
        for f, root in bar:
            key = str(f.resolve())
            report.files += 1
            try:
                data = f.read_bytes()
            except OSError as exc:
                _warn(f"skipped {f}: {exc}")
                continue
            sha = hashlib.sha256(data).hexdigest()
            if self.store.file_sha(key) == sha:
                ids = self.store.file_doc_ids(key)
                report.unchanged += len(ids)
                claimed.update(dict.fromkeys(ids, key))
                continue
            try:
                articles = load_file(f, root, _warn)
            except (UnreadableFile, OSError) as exc:
                _warn(f"skipped {f}: {exc}")
                continue
            articles = self._dedupe(articles, key, claimed, _warn)
            ids = [a.doc_id for a in articles]
            known = self.store.doc_hashes(ids)
            old_ids = self.store.file_doc_ids(key)
            dropped = [d for d in old_ids if d not in set(ids)]
            report.deleted += len(dropped)
            todo = []
            for article in articles:
                stored = known.get(article.doc_id)
                if stored and stored[0] == article.content_hash and stored[1] == key:
                    report.unchanged += 1
                    continue
                if stored:
                    report.changed += 1
                else:
                    report.new += 1
                todo.append(article)
            self.store.forget([a.doc_id for a in todo] + dropped, [key])
            for article in todo:
                pending.docs.append((article, key, self.chunker.split(article)))
                if pending.chunk_count >= FLUSH_CHUNKS:  # a big JSONL file flushes as it goes
                    pending = self._flush(pending, report, chunk_bar)
            # a file is recorded with (or after) its last documents, never before them
            pending.files[key] = (sha, ids)
            if not todo or pending.chunk_count >= FLUSH_CHUNKS:
                pending = self._flush(pending, report, chunk_bar)
            bar.set_postfix(new=report.new, changed=report.changed)
        self._flush(pending, report, chunk_bar)
        chunk_bar.close()
        self.store.lexical()  # rebuild BM25 now rather than on the first question
        report.seconds = time.perf_counter() - started
        return report

    @staticmethod
    def _dedupe(
        articles: list[Article], key: str, claimed: dict[str, str], warn: Callable[[str], None]
    ) -> list[Article]:
        out = []
        for article in articles:
            other = claimed.get(article.doc_id)
            if other is not None:
                where = "twice in this file" if other == key else f"also in {other}"
                warn(f"{article.source}: document id '{article.doc_id}' {where}; kept the first")
                continue
            claimed[article.doc_id] = key
            out.append(article)
        return out

    def _flush(self, pending: _Pending, report: IngestReport, bar: tqdm) -> _Pending:
        if not pending.docs and not pending.files:
            return pending
        chunk_texts = [embed_text(a, c) for a, _, chunks in pending.docs for c in chunks]
        sentence_texts = [
            a.text[s.start : s.end]
            for a, _, chunks in pending.docs
            for s in unique_sentences(chunks)
        ]
        chunk_vecs = self.embedder.embed_passages(chunk_texts)
        sentence_vecs = self.embedder.embed_passages(sentence_texts)
        terms = [self.analyzer.terms(t) for t in chunk_texts]
        self.store.add(pending.docs, chunk_vecs, sentence_vecs, terms, pending.files)
        report.chunks_embedded += len(chunk_texts)
        report.sentences_embedded += len(sentence_texts)
        bar.update(len(chunk_texts))
        return _Pending()


def embed_text(article: Article, chunk: Chunk) -> str:
    """Chunk text with its article's title, so a chunk far from the headline keeps context."""
    if chunk.start == 0 and article.text.startswith(article.title):
        return chunk.text
    return f"{article.title}\n{chunk.text}"
