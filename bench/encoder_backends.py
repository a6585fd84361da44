"""CPU inference runtimes for multilingual-e5-small: torch, ONNX Runtime, OpenVINO (issue 10).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/encoder_backends.py --out /tmp/encoder_backends.json

Decides which runtime the ingest pipeline should use. Every backend except ``st-fp32`` is a
*token encoder*: ``input_ids, attention_mask`` (numpy int64, B×T) → ``last_hidden_state``
(numpy float32, B×T×384), which is what the pipeline takes (it mean-pools whole passages and
sentence token spans itself); here the passage vector is the masked mean, L2-normalised.

Backends (``--backends`` picks a subset, comma-separated):

* ``st-fp32``: ``SentenceTransformer(...).encode`` (what the Embedder runs today).
* ``torch-fp32``: ``AutoModel`` forward (sdpa attention) + numpy pooling. The reference: speed
  ratios and cosines are taken against it.
* ``torch-bf16-autocast``: the same under ``torch.autocast("cpu", dtype=torch.bfloat16)``.
* ``torch-bf16``: a copy of the model ``.to(torch.bfloat16)``.
* ``torch-int8-dynamic``: ``torch.ao.quantization.quantize_dynamic`` on the ``nn.Linear``
  layers (qint8 weights, dynamic activations).
* ``ort-fp32``: ``torch.onnx.export`` (opset 17, ``dynamo=False``) of the *eager*-attention
  model, then ``onnxruntime.transformers.optimizer.optimize_model(model_type="bert",
  num_heads=12, hidden_size=384)`` which fuses attention / LayerNorm / GELU (the fused node
  counts are reported).
* ``ort-int8[-u8][-pc][-rr]``: that fused graph through ``onnxruntime.quantization.
  quantize_dynamic`` (QInt8 weights, or QUInt8 with ``-u8``; ``-pc`` per_channel,
  ``-rr`` reduce_range).
* ``ov-fp32`` / ``ov-bf16``: ``openvino.convert_model`` of the torch model, compiled on CPU
  with ``INFERENCE_PRECISION_HINT`` f32 / bf16.
* ``ov-int8`` / ``ov-int8-bf16``: that model through ``nncf.quantize`` (``ModelType.
  TRANSFORMER``, ``--calib`` passages that are *not* in the evaluation set), f32 / bf16 for the
  non-quantized ops.

Texts: KorQuAD 1.0 dev paragraphs (read in place, never copied), split at sentence ends and
packed greedily into chunks of at most ``--max-chars`` characters, each written as
``"passage: " + title + "\\n" + chunk`` like the ingest pipeline does. The first
``--paragraphs`` paragraphs make the evaluation corpus; calibration passages come from the
paragraphs after them.

Speed: batch ``--batch`` sorted longest first, ``--threads`` threads (torch
``set_num_threads``, ORT ``intra_op_num_threads``, OV ``INFERENCE_NUM_THREADS``), tokenizing
included. Backends are interleaved: ``--rounds`` rounds, each timing one pass of every backend
over ``--time-passages`` passages (an even sample over the length range), the order rotated
each round; the ratio to ``torch-fp32`` is taken within each round and its median reported, so
a load change from other jobs on the machine hits all backends alike. Query latency: single
thread, batch 1, ``--latency-queries`` "query: " questions one at a time, p50/p90 ms.

Quality: cosine of every passage vector to the ``torch-fp32`` one (min / mean) over the whole
corpus, and dense-only retrieval of ``--questions`` KorQuAD questions (round-robin over the
paragraphs) against all chunks, collapsed to paragraphs (a paragraph scores its best chunk):
recall@1 and MRR@10.

Exports go to a temporary folder (or ``--export-dir``) and are never committed. Not project
dependencies: ``.venv/bin/pip install onnxruntime onnx openvino nncf``; a backend whose package
is missing is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = ROOT / ".data" / "models" / "multilingual-e5-small"
DEFAULT_KORQUAD = Path("/work/shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json")
PASSAGE_PREFIX = "passage: "
QUERY_PREFIX = "query: "
REFERENCE = "torch-fp32"
ALL_BACKENDS = (
    "st-fp32,torch-fp32,torch-bf16-autocast,torch-bf16,torch-int8-dynamic,"
    "ort-fp32,ort-int8,ort-int8-pc,ort-int8-u8,ort-int8-pc-rr,"
    "ov-fp32,ov-bf16,ov-int8,ov-int8-bf16"
)

Encoder = Callable[[list[str]], np.ndarray]
Hidden = Callable[[np.ndarray, np.ndarray], np.ndarray]
# a backend is built for a thread count: threads -> (texts -> normalised vectors)
Factory = Callable[[int], Encoder]


# --------------------------------------------------------------------------- texts


@dataclass
class Corpus:
    passages: list[str]  # "passage: title\nchunk", corpus order
    passage_par: list[int]  # paragraph index of each passage (non-decreasing)
    questions: list[tuple[str, int]]  # (question, paragraph index)
    calibration: list[str]  # passages from paragraphs outside the corpus
    n_paragraphs: int = 0
    stats: dict[str, Any] = field(default_factory=dict)


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def chunk_paragraph(text: str, max_chars: int) -> list[str]:
    """Sentences packed greedily into chunks of at most ``max_chars`` (longer ones cut)."""
    pieces: list[str] = []
    for sentence in SENTENCE_END.split(text):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            pieces.append(sentence[:cut])
            sentence = sentence[cut:].strip()
        if sentence:
            pieces.append(sentence)
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + 1 + len(piece) > max_chars:
            chunks.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


def load_korquad(
    path: Path, n_paragraphs: int, max_chars: int, n_questions: int, n_calib: int
) -> Corpus:
    """Chunks of the first ``n_paragraphs`` unique paragraphs, questions, calibration chunks."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    pars: list[tuple[str, str, list[str]]] = []
    seen: set[str] = set()
    for article in data:
        for par in article["paragraphs"]:
            ctx = " ".join(par["context"].split())
            if ctx not in seen:
                seen.add(ctx)
                pars.append((article["title"], ctx, [qa["question"] for qa in par["qas"]]))
    corpus = Corpus([], [], [], [])
    for i, (title, ctx, _) in enumerate(pars[:n_paragraphs]):
        for chunk in chunk_paragraph(ctx, max_chars):
            corpus.passages.append(f"{PASSAGE_PREFIX}{title}\n{chunk}")
            corpus.passage_par.append(i)
    corpus.n_paragraphs = min(n_paragraphs, len(pars))
    for title, ctx, _ in pars[n_paragraphs:]:
        for chunk in chunk_paragraph(ctx, max_chars):
            if len(corpus.calibration) < n_calib:
                corpus.calibration.append(f"{PASSAGE_PREFIX}{title}\n{chunk}")
    per_par = [qs for _, _, qs in pars[:n_paragraphs]]
    depth = 0
    while len(corpus.questions) < n_questions and any(depth < len(qs) for qs in per_par):
        for i, qs in enumerate(per_par):
            if depth < len(qs) and len(corpus.questions) < n_questions:
                corpus.questions.append((qs[depth], i))
        depth += 1
    lengths = [len(p) - len(PASSAGE_PREFIX) for p in corpus.passages]
    corpus.stats = {
        "paragraphs": corpus.n_paragraphs,
        "passages": len(corpus.passages),
        "chars_mean": statistics.mean(lengths),
        "chars_median": statistics.median(lengths),
        "chars_max": max(lengths),
        "questions": len(corpus.questions),
        "calibration": len(corpus.calibration),
    }
    return corpus


def sorted_longest_first(texts: list[str]) -> tuple[list[str], np.ndarray]:
    order = np.array(sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True))
    return [texts[i] for i in order], order


def encode_in_order(encode: Encoder, texts: list[str]) -> np.ndarray:
    """Encode longest first (as the Embedder batches) and return vectors in ``texts`` order."""
    ordered, order = sorted_longest_first(texts)
    vecs = encode(ordered)
    out = np.empty_like(vecs)
    out[order] = vecs
    return out


# --------------------------------------------------------------------------- backends


class Tokens:
    """The model's fast tokenizer, numpy int64 out."""

    def __init__(self, model_dir: Path) -> None:
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        cfg = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.max_len = int(cfg.get("max_seq_length", 512))

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        enc = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_len, return_tensors="np"
        )
        return enc["input_ids"].astype(np.int64), enc["attention_mask"].astype(np.int64)


def pooled_encoder(hidden: Hidden, tokens: Tokens, batch: int) -> Encoder:
    """Token encoder → passage vectors: masked mean of last_hidden_state, L2-normalised."""

    def encode(texts: list[str]) -> np.ndarray:
        outs: list[np.ndarray] = []
        for start in range(0, len(texts), batch):
            ids, mask = tokens(texts[start : start + batch])
            h = hidden(ids, mask)
            assert h.dtype == np.float32 and h.shape == (*ids.shape, h.shape[-1]), h.shape
            m = mask[:, :, None].astype(np.float32)
            pooled = (h * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            outs.append(pooled.astype(np.float32))
        return np.concatenate(outs, axis=0)

    return encode


def load_hf(model_dir: Path, attn: str = "sdpa") -> Any:
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoModel.from_pretrained(
            str(model_dir),
            local_files_only=True,
            add_pooling_layer=False,
            attn_implementation=attn,
            dtype=torch.float32,
        )
    return model.eval()


def torch_hidden(model: Any, threads: int, autocast: bool = False) -> Hidden:
    import torch

    def hidden(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch.set_num_threads(threads)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            out = model(
                input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)
            ).last_hidden_state
        return out.float().numpy()

    return hidden


class ExportWrapper:
    """``forward(input_ids, attention_mask) -> last_hidden_state`` around an HF model."""

    @staticmethod
    def wrap(model: Any) -> Any:
        import torch

        class Wrapper(torch.nn.Module):
            def __init__(self, inner: torch.nn.Module) -> None:
                super().__init__()
                self.inner = inner

            def forward(
                self, input_ids: torch.Tensor, attention_mask: torch.Tensor
            ) -> torch.Tensor:
                return self.inner(
                    input_ids=input_ids, attention_mask=attention_mask
                ).last_hidden_state

        return Wrapper(model).eval()


def example_inputs(tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    return tokens(["passage: 예시 문장입니다. 조금 더 긴 두 번째 문장.", "passage: 두 번째"])


def export_onnx(model_dir: Path, tokens: Tokens, path: Path) -> None:
    """Eager-attention HF model → ONNX, ``last_hidden_state`` with dynamic batch/seq axes."""
    import torch

    model = load_hf(model_dir, attn="eager")
    ids, mask = example_inputs(tokens)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            ExportWrapper.wrap(model),
            (torch.from_numpy(ids), torch.from_numpy(mask)),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "last_hidden_state": {0: "batch", 1: "seq"},
            },
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )


def optimize_onnx(src: Path, dst: Path) -> dict[str, int]:
    """ORT's BERT optimizer (fusions); returns the op-type counts of the interesting nodes."""
    from onnxruntime.transformers.optimizer import optimize_model

    opt = optimize_model(
        str(src), model_type="bert", num_heads=12, hidden_size=384, opt_level=1, use_gpu=False
    )
    opt.save_model_to_file(str(dst))
    return op_counts(dst)


def op_counts(path: Path) -> dict[str, int]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    counts: dict[str, int] = {}
    for node in model.graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    keep = (
        "Attention", "MultiHeadAttention", "QAttention", "SkipLayerNormalization",
        "LayerNormalization", "EmbedLayerNormalization", "BiasGelu", "FastGelu", "Gelu",
        "MatMul", "MatMulInteger", "DynamicQuantizeMatMul", "DynamicQuantizeLinear", "Softmax",
    )  # fmt: skip
    return {k: counts[k] for k in keep if k in counts}


def ort_hidden(path: Path, threads: int) -> Hidden:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def hidden(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        (h,) = session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})
        return h

    return hidden


def convert_openvino(model: Any, tokens: Tokens) -> Any:
    """Torch model → OpenVINO model with dynamic batch/seq inputs, output ``last_hidden_state``."""
    import openvino as ov
    import torch

    ids, mask = example_inputs(tokens)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ov_model = ov.convert_model(
            ExportWrapper.wrap(model),
            example_input={
                "input_ids": torch.from_numpy(ids),
                "attention_mask": torch.from_numpy(mask),
            },
            input=[
                ("input_ids", [-1, -1], ov.Type.i64),
                ("attention_mask", [-1, -1], ov.Type.i64),
            ],
        )
    ov_model.outputs[0].get_tensor().set_names({"last_hidden_state"})
    return ov_model


def nncf_quantize(ov_model: Any, tokens: Tokens, calibration: list[str]) -> Any:
    import nncf

    names = ("input_ids", "attention_mask")
    items = [dict(zip(names, tokens([t]), strict=True)) for t in calibration]
    return nncf.quantize(
        ov_model,
        nncf.Dataset(items),
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(items),
    )


def ov_hidden(ov_model: Any, threads: int, precision: str) -> Hidden:
    import openvino as ov

    core = ov.Core()
    compiled = core.compile_model(
        ov_model,
        "CPU",
        {
            "INFERENCE_NUM_THREADS": threads,
            "NUM_STREAMS": 1,
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": precision,
        },
    )
    request = compiled.create_infer_request()

    def hidden(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        request.infer({"input_ids": ids, "attention_mask": mask})
        return np.array(request.get_tensor("last_hidden_state").data, dtype=np.float32)

    return hidden


# --------------------------------------------------------------------------- measuring


def retrieval(q_vecs: np.ndarray, p_vecs: np.ndarray, passage_par: list[int], gold: list[int],
              n_paragraphs: int) -> tuple[float, float]:  # fmt: skip
    """Recall@1 and MRR@10 of paragraphs scored by their best chunk (dot product)."""
    scores = q_vecs @ p_vecs.T
    par = np.asarray(passage_par)
    starts = np.flatnonzero(np.r_[True, par[1:] != par[:-1]])
    par_scores = np.full((len(q_vecs), n_paragraphs), -np.inf, dtype=np.float32)
    par_scores[:, par[starts]] = np.maximum.reduceat(scores, starts, axis=1)
    g = np.asarray(gold)
    gold_scores = par_scores[np.arange(len(g)), g]
    rank = (par_scores > gold_scores[:, None]).sum(axis=1)
    r1 = float(np.mean(rank == 0))
    mrr = float(np.mean(np.where(rank < 10, 1.0 / (rank + 1), 0.0)))
    return r1, mrr


def latency_ms(encode: Encoder, queries: list[str]) -> list[float]:
    encode(queries[:3])
    out: list[float] = []
    for q in queries:
        t0 = time.perf_counter()
        encode([q])
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--korquad", type=Path, default=DEFAULT_KORQUAD)
    parser.add_argument("--backends", default=ALL_BACKENDS)
    parser.add_argument("--paragraphs", type=int, default=780)
    parser.add_argument("--max-chars", type=int, default=500)
    parser.add_argument("--questions", type=int, default=1600, help="0 skips retrieval")
    parser.add_argument("--calib", type=int, default=300)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--time-passages", type=int, default=192)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-queries", type=int, default=100)
    parser.add_argument("--export-dir", type=Path, default=None, help="default: a temp folder")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    wanted = [b.strip() for b in args.backends.split(",") if b.strip()]
    if REFERENCE not in wanted:
        wanted.insert(0, REFERENCE)
    torch.set_num_threads(args.threads)
    corpus = load_korquad(args.korquad, args.paragraphs, args.max_chars, args.questions,
                          args.calib)  # fmt: skip
    print(f"corpus {corpus.stats}", flush=True)
    tokens = Tokens(args.model)
    tok_lens = [len(t) for t in tokens.tokenizer(corpus.passages[:400])["input_ids"]]
    corpus.stats["xlmr_tokens_mean_first400"] = statistics.mean(tok_lens)

    versions = {"python": platform.python_version(), "torch": torch.__version__}
    notes: dict[str, Any] = {}
    factories: dict[str, Factory] = {}
    hf = load_hf(args.model)

    def token_factory(make_hidden: Callable[[int], Hidden]) -> Factory:
        return lambda threads: pooled_encoder(make_hidden(threads), tokens, args.batch)

    if "st-fp32" in wanted:
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(str(args.model), device="cpu", local_files_only=True).eval()

        def st_factory(threads: int) -> Encoder:
            def encode(texts: list[str]) -> np.ndarray:
                torch.set_num_threads(threads)
                return np.asarray(st.encode(texts, batch_size=args.batch, convert_to_numpy=True,
                                            normalize_embeddings=True, show_progress_bar=False),
                                  dtype=np.float32)  # fmt: skip

            return encode

        factories["st-fp32"] = st_factory
    factories[REFERENCE] = token_factory(lambda t: torch_hidden(hf, t))
    if "torch-bf16-autocast" in wanted:
        factories["torch-bf16-autocast"] = token_factory(lambda t: torch_hidden(hf, t, True))
    if "torch-bf16" in wanted:
        hf_bf16 = load_hf(args.model).to(torch.bfloat16)
        factories["torch-bf16"] = token_factory(lambda t: torch_hidden(hf_bf16, t))
    if "torch-int8-dynamic" in wanted:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hf_q = torch.ao.quantization.quantize_dynamic(
                load_hf(args.model), {torch.nn.Linear}, dtype=torch.qint8
            )
        notes["torch-int8-dynamic"] = {
            "query_layer_type": "{0.__module__}.{0.__name__}".format(
                type(hf_q.encoder.layer[0].attention.self.query)
            )
        }
        factories["torch-int8-dynamic"] = token_factory(lambda t: torch_hidden(hf_q, t))

    tmp = tempfile.TemporaryDirectory(prefix="e5-export-")
    export_dir = args.export_dir or Path(tmp.name)
    export_dir.mkdir(parents=True, exist_ok=True)
    ort_wanted = [b for b in wanted if b.startswith("ort-")]
    if ort_wanted:
        try:
            import onnx
            import onnxruntime as ort
            from onnxruntime.quantization import QuantType, quantize_dynamic
        except ImportError:
            print("skipping ORT: .venv/bin/pip install onnxruntime onnx", file=sys.stderr)
            ort_wanted = []
        else:
            versions["onnxruntime"] = ort.__version__
    if ort_wanted:
        raw, fused = export_dir / "model.onnx", export_dir / "model.fused.onnx"
        t0 = time.perf_counter()
        export_onnx(args.model, tokens, raw)
        counts = optimize_onnx(raw, fused)
        notes["ort-fp32"] = {"export_s": time.perf_counter() - t0, "ops_raw": op_counts(raw),
                             "ops_fused": counts, "bytes": fused.stat().st_size}  # fmt: skip
        print(f"ORT fused graph: {counts}", flush=True)
        paths = {"ort-fp32": fused}
        for name in ort_wanted:
            if name == "ort-fp32":
                continue
            flags = name.split("-")[2:]
            path = export_dir / f"model.{name}.onnx"
            t0 = time.perf_counter()
            quantize_dynamic(
                str(fused), str(path),
                weight_type=QuantType.QUInt8 if "u8" in flags else QuantType.QInt8,
                per_channel="pc" in flags, reduce_range="rr" in flags,
                # the fused com.microsoft ops defeat shape inference of the MatMul outputs
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )  # fmt: skip
            notes[name] = {"quantize_s": time.perf_counter() - t0, "ops": op_counts(path),
                           "bytes": path.stat().st_size}  # fmt: skip
            paths[name] = path
        for name, path in paths.items():
            factories[name] = token_factory(lambda t, p=path: ort_hidden(p, t))

    ov_wanted = [b for b in wanted if b.startswith("ov-")]
    if ov_wanted:
        try:
            import openvino as ov
        except ImportError:
            print("skipping OpenVINO: .venv/bin/pip install openvino", file=sys.stderr)
            ov_wanted = []
        else:
            versions["openvino"] = ov.__version__
    if ov_wanted:
        t0 = time.perf_counter()
        ov_model = convert_openvino(hf, tokens)
        notes["ov-fp32"] = {
            "convert_s": time.perf_counter() - t0,
            "inputs": [str(i.get_partial_shape()) for i in ov_model.inputs],
            "outputs": [str(o.get_partial_shape()) for o in ov_model.outputs],
        }
        ov_models = {"ov-fp32": (ov_model, "f32"), "ov-bf16": (ov_model, "bf16")}
        if any(b.startswith("ov-int8") for b in ov_wanted):
            try:
                import nncf
            except ImportError:
                print("skipping ov-int8: .venv/bin/pip install nncf", file=sys.stderr)
            else:
                versions["nncf"] = nncf.__version__
                t0 = time.perf_counter()
                q_model = nncf_quantize(ov_model, tokens, corpus.calibration)
                notes["ov-int8"] = {"quantize_s": time.perf_counter() - t0,
                                    "calibration": len(corpus.calibration)}  # fmt: skip
                ov.save_model(q_model, str(export_dir / "ov-int8.xml"))
                ov_models["ov-int8"] = (q_model, "f32")
                ov_models["ov-int8-bf16"] = (q_model, "bf16")
        for name in ov_wanted:
            if name in ov_models:
                m, prec = ov_models[name]
                factories[name] = token_factory(lambda t, m=m, p=prec: ov_hidden(m, t, p))

    names = [n for n in wanted if n in factories]
    encoders = {n: factories[n](args.threads) for n in names}
    print(f"backends: {names}", flush=True)
    load_start = os.getloadavg()

    # quality (also the warm-up): whole corpus and all questions, every backend
    queries = [QUERY_PREFIX + q for q, _ in corpus.questions]
    gold = [i for _, i in corpus.questions]
    results: dict[str, dict[str, Any]] = {}
    base: np.ndarray | None = None
    for name in names:
        t0 = time.perf_counter()
        p_vecs = encode_in_order(encoders[name], corpus.passages)
        elapsed = time.perf_counter() - t0
        q_vecs = encode_in_order(encoders[name], queries) if queries else None
        if base is None:
            base = p_vecs
        cos = np.sum(p_vecs * base, axis=1)
        row: dict[str, Any] = {
            "quality_pass_pps": len(p_vecs) / elapsed,
            "cos_min": float(cos.min()),
            "cos_mean": float(cos.mean()),
        }
        if q_vecs is not None:
            row["recall_at_1"], row["mrr_at_10"] = retrieval(
                q_vecs, p_vecs, corpus.passage_par, gold, corpus.n_paragraphs
            )
        results[name] = row
        print(f"  {name}: {row}", flush=True)

    # speed, interleaved
    ordered, _ = sorted_longest_first(corpus.passages)
    step = max(1, len(ordered) // args.time_passages)
    sample = ordered[::step][: args.time_passages]
    times: dict[str, list[float]] = {n: [] for n in names}
    ratios: dict[str, list[float]] = {n: [] for n in names}
    for r in range(args.rounds):
        rot = names[r % len(names) :] + names[: r % len(names)]
        this: dict[str, float] = {}
        for name in rot:
            t0 = time.perf_counter()
            encoders[name](sample)
            this[name] = time.perf_counter() - t0
            times[name].append(this[name])
        for name in names:
            ratios[name].append(this[REFERENCE] / this[name])
        print(f"  round {r + 1}: " + ", ".join(f"{n} {len(sample) / s:.1f}/s"
                                               for n, s in this.items()), flush=True)  # fmt: skip

    # query latency: one thread, one query at a time
    lat_queries = queries[: args.latency_queries]
    for name in names:
        row = results[name]
        row["passages_per_s"] = len(sample) / min(times[name])
        row["passages_per_s_median"] = len(sample) / statistics.median(times[name])
        row["ratio_to_torch_fp32"] = statistics.median(ratios[name])
        if lat_queries:
            lat = latency_ms(factories[name](1), lat_queries)
            row["query_p50_ms"] = float(np.percentile(lat, 50))
            row["query_p90_ms"] = float(np.percentile(lat, 90))
        row.update(notes.get(name, {}) if name != "ort-fp32" else {})
    load_end = os.getloadavg()

    header = (f"{'backend':<20} {'pass/s':>7} {'ratio':>6} {'cos min':>8} {'cos mean':>8} "
              f"{'R@1':>6} {'MRR@10':>6} {'q p50':>6}")  # fmt: skip
    print()
    print(header)
    print("-" * len(header))
    for name, row in results.items():
        print(
            f"{name:<20} {row['passages_per_s']:>7.1f} {row['ratio_to_torch_fp32']:>5.2f}x "
            f"{row['cos_min']:>8.4f} {row['cos_mean']:>8.4f} {row.get('recall_at_1', 0):>6.3f} "
            f"{row.get('mrr_at_10', 0):>6.3f} {row.get('query_p50_ms', 0):>6.1f}"
        )
    print(f"load average at start {load_start}, at end {load_end}")
    if "ort-fp32" in notes:
        print(f"ORT fusion: {notes['ort-fp32']['ops_fused']}")

    if args.out:
        report = {
            "model": str(args.model),
            "corpus": corpus.stats,
            "batch": args.batch,
            "threads": args.threads,
            "rounds": args.rounds,
            "time_passages": len(sample),
            "versions": versions,
            "cpu": platform.processor() or platform.machine(),
            "loadavg_start": list(load_start),
            "loadavg_end": list(load_end),
            "notes": notes,
            "backends": results,
        }
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"wrote {args.out}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
