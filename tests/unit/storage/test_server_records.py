"""Documents as records of the Chroma server: round trip, splitting, refusing what it
cannot read (pure functions; no Chroma)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from assistant.storage.server_records import DocRecord, decode, encode, records
from tests.unit.storage.samples import MISSILE, SEOUL, add_args


def _record() -> DocRecord:
    (listed, _, sentence_vecs, terms, _) = add_args([SEOUL], "news/a.txt")
    return records(listed, terms, sentence_vecs)[0]


def test_a_record_comes_back_as_it_went() -> None:
    article, chunks = SEOUL
    rec = dataclasses.replace(
        _record(),
        article=dataclasses.replace(article, url="https://x.kr/1", metadata={"기자": "김"}),
    )
    back = decode(article.doc_id, encode(rec))
    assert back.article == rec.article and back.path == "news/a.txt"
    assert back.chunks == chunks
    assert back.terms == rec.terms
    np.testing.assert_array_equal(back.sentence_vectors, rec.sentence_vectors.astype(np.float16))
    assert back.article.content_hash == rec.article.content_hash


def test_metadata_has_no_none_values_and_stays_filterable() -> None:
    meta = encode(_record())
    assert None not in meta.values()
    assert meta["kind"] == "doc" and meta["path"] == "news/a.txt"
    assert meta["hash"] == SEOUL[0].content_hash and meta["source"] == SEOUL[0].source


def test_records_split_flat_terms_and_vectors_per_document() -> None:
    listed, _, sentence_vecs, terms, _ = add_args([SEOUL, MISSILE], "news/a.txt")
    out = records(listed, terms, sentence_vecs)
    assert [r.article.doc_id for r in out] == ["seoul", MISSILE[0].doc_id]
    assert sum(len(r.terms) for r in out) == len(terms)
    np.testing.assert_array_equal(np.concatenate([r.sentence_vectors for r in out]), sentence_vecs)
    with pytest.raises(ValueError, match="missing"):
        records(listed, terms[:-1], sentence_vecs)


def test_another_format_or_a_damaged_payload_is_refused_not_misread() -> None:
    meta = encode(_record())
    with pytest.raises(ValueError, match="format"):
        decode("seoul", {**meta, "format": 99})
    with pytest.raises(ValueError, match="damaged"):
        decode("seoul", {**meta, "payload": meta["payload"][:40]})
