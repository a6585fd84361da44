"""CPU encoder backends for multilingual-e5-small: torch fp32, ONNX Runtime fp32 and int8.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/encoder_backends.py --out /tmp/encoder_backends.json

First measurement for a future ``embedding_backend`` setting. Backends:

* ``torch-fp32``: ``SentenceTransformer(path, device="cpu", local_files_only=True)``, the
  baseline (what :class:`assistant.models.embedder.Embedder` runs).
* ``onnx-fp32``: the HF transformer exported with ``torch.onnx.export`` (opset 17,
  ``dynamo=False``, dynamic batch and sequence axes) and run by ONNX Runtime; mean pooling and
  L2 normalisation in numpy.
* ``onnx-int8``: that export through ``onnxruntime.quantization.quantize_dynamic`` (QInt8,
  per_channel=True).

Every backend uses 2 threads (``torch.set_num_threads`` / ``intra_op_num_threads``), batch 32,
the same tokenizer and the same texts: KorQuAD 1.0 dev paragraphs cut to ``--chars``
characters with the "passage: " prefix, sorted longest first as the Embedder does. One warm-up
pass, then ``--passes`` timed passes (the best and the mean are reported). Quality: cosine of
each backend's passage vectors to the torch fp32 ones, and recall@1 of KorQuAD questions
("query: " prefix) against those paragraphs, dense only (a question whose gold paragraph is
not among the selected paragraphs is not used).

Export files go to a temporary folder (or ``--export-dir``) and are never committed.
onnxruntime and onnx are not project dependencies: ``.venv/bin/pip install onnxruntime onnx``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = ROOT / ".data" / "models" / "multilingual-e5-small"
DEFAULT_KORQUAD = Path("/work/shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json")
PASSAGE_PREFIX = "passage: "
QUERY_PREFIX = "query: "

Encoder = Callable[[list[str]], np.ndarray]


def load_korquad(
    path: Path, n_paragraphs: int, chars: int, n_questions: int
) -> tuple[list[str], list[tuple[str, int]]]:
    """The first ``n_paragraphs`` unique contexts (cut) and up to ``n_questions`` questions.

    Questions are taken round-robin over the selected paragraphs, each with the index of its
    paragraph, and only when the answer lies inside the cut text (so retrieval is fair).
    """
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    paragraphs: list[str] = []
    per_par: list[list[str]] = []
    seen: set[str] = set()
    for article in data:
        for par in article["paragraphs"]:
            ctx = " ".join(par["context"].split())
            if ctx in seen:
                continue
            seen.add(ctx)
            cut = ctx[:chars]
            qs = [
                qa["question"]
                for qa in par["qas"]
                if qa["answers"] and qa["answers"][0]["text"] in cut
            ]
            paragraphs.append(cut)
            per_par.append(qs)
            if len(paragraphs) >= n_paragraphs:
                break
        if len(paragraphs) >= n_paragraphs:
            break
    questions: list[tuple[str, int]] = []
    depth = 0
    while len(questions) < n_questions and any(depth < len(qs) for qs in per_par):
        for i, qs in enumerate(per_par):
            if depth < len(qs) and len(questions) < n_questions:
                questions.append((qs[depth], i))
        depth += 1
    return paragraphs, questions


def sort_longest_first(texts: list[str]) -> tuple[list[str], list[int]]:
    """Texts longest first (as the Embedder batches them) and the order to restore them."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
    return [texts[i] for i in order], order


def torch_encoder(model_dir: Path, batch: int) -> tuple[Encoder, Any]:
    """The sentence-transformers baseline; also returns the model (tokenizer, HF module)."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    model.eval()

    def encode(texts: list[str]) -> np.ndarray:
        return np.asarray(
            model.encode(
                texts,
                batch_size=batch,
                show_progress_bar=False,
                convert_to_numpy=True,
                normalize_embeddings=True,
            ),
            dtype=np.float32,
        )

    return encode, model


def export_onnx(st_model: Any, path: Path) -> None:
    """Export the HF transformer inside ``st_model`` to ONNX: last hidden state out."""
    import torch

    hf = st_model[0].auto_model
    hf.eval()

    class Wrapper(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask)
            return out.last_hidden_state

    tok = st_model.tokenizer(
        ["passage: 예시 문장입니다.", "passage: 두 번째"], padding=True, return_tensors="pt"
    )
    with torch.no_grad():
        torch.onnx.export(
            Wrapper(hf),
            (tok["input_ids"], tok["attention_mask"]),
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


def onnx_encoder(onnx_path: Path, st_model: Any, batch: int, threads: int) -> Encoder:
    """ONNX Runtime session with the sentence-transformers tokenizer and numpy pooling."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    tokenizer = st_model.tokenizer
    max_len = int(st_model.max_seq_length)

    def encode(texts: list[str]) -> np.ndarray:
        outs: list[np.ndarray] = []
        for start in range(0, len(texts), batch):
            enc = tokenizer(
                texts[start : start + batch],
                padding=True,
                truncation=True,
                max_length=max_len,
                return_tensors="np",
            )
            ids = enc["input_ids"].astype(np.int64)
            mask = enc["attention_mask"].astype(np.int64)
            (hidden,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            outs.append(pooled.astype(np.float32))
        return np.concatenate(outs, axis=0)

    return encode


def time_passes(encode: Encoder, texts: list[str], passes: int) -> tuple[np.ndarray, list[float]]:
    """One warm-up pass, then ``passes`` timed passes; returns the vectors and the seconds."""
    vectors = encode(texts)
    seconds: list[float] = []
    for _ in range(passes):
        t0 = time.perf_counter()
        encode(texts)
        seconds.append(time.perf_counter() - t0)
    return vectors, seconds


def recall_at_1(q_vecs: np.ndarray, p_vecs: np.ndarray, gold: list[int]) -> float:
    """Share of questions whose nearest paragraph (dot product) is the gold one."""
    top = np.argmax(q_vecs @ p_vecs.T, axis=1)
    return float(np.mean(top == np.asarray(gold)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--korquad", type=Path, default=DEFAULT_KORQUAD)
    parser.add_argument("--paragraphs", type=int, default=192)
    parser.add_argument("--chars", type=int, default=350)
    parser.add_argument("--questions", type=int, default=300, help="0 skips recall@1")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--export-dir", type=Path, default=None, help="default: a temp folder")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import onnxruntime as ort
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        print(
            "onnxruntime is not installed (it is not a project dependency): "
            ".venv/bin/pip install onnxruntime onnx",
            file=sys.stderr,
        )
        return 2
    try:
        import onnx  # noqa: F401  (torch.onnx.export and quantize_dynamic need it)
    except ImportError:
        print("onnx is not installed: .venv/bin/pip install onnx", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(args.threads)
    paragraphs, questions = load_korquad(args.korquad, args.paragraphs, args.chars, args.questions)
    passages, _ = sort_longest_first([PASSAGE_PREFIX + p for p in paragraphs])
    queries = [QUERY_PREFIX + q for q, _ in questions]
    gold = [i for _, i in questions]
    # recall uses passage vectors in the original paragraph order
    _, order = sort_longest_first(paragraphs)
    print(
        f"{len(passages)} passages (≤{args.chars} chars, mean "
        f"{statistics.mean(len(p) for p in paragraphs):.0f}), {len(queries)} questions, "
        f"batch {args.batch}, threads {args.threads}, {args.passes} timed passes",
        flush=True,
    )

    torch_encode, st_model = torch_encoder(args.model, args.batch)
    with tempfile.TemporaryDirectory(prefix="e5-onnx-") as tmp:
        export_dir = args.export_dir or Path(tmp)
        export_dir.mkdir(parents=True, exist_ok=True)
        fp32_path = export_dir / "model.onnx"
        int8_path = export_dir / "model.int8.onnx"
        t0 = time.perf_counter()
        export_onnx(st_model, fp32_path)
        export_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        quantize_dynamic(
            str(fp32_path), str(int8_path), weight_type=QuantType.QInt8, per_channel=True
        )
        quant_s = time.perf_counter() - t0
        sizes = {
            "onnx-fp32": fp32_path.stat().st_size
            + sum(p.stat().st_size for p in export_dir.glob("*.data")),
            "onnx-int8": int8_path.stat().st_size,
        }
        print(f"export {export_s:.1f}s, quantize {quant_s:.1f}s, files in {export_dir}")

        backends: dict[str, Encoder] = {
            "torch-fp32": torch_encode,
            "onnx-fp32": onnx_encoder(fp32_path, st_model, args.batch, args.threads),
            "onnx-int8": onnx_encoder(int8_path, st_model, args.batch, args.threads),
        }
        results: dict[str, dict[str, Any]] = {}
        base: np.ndarray | None = None
        for name, encode in backends.items():
            vecs, seconds = time_passes(encode, passages, args.passes)
            if base is None:
                base = vecs
            cos = np.sum(vecs * base, axis=1)
            row: dict[str, Any] = {
                "best_s": min(seconds),
                "mean_s": statistics.mean(seconds),
                "passages_per_s": len(passages) / min(seconds),
                "passages_per_s_mean": len(passages) / statistics.mean(seconds),
                "cos_min": float(cos.min()),
                "cos_mean": float(cos.mean()),
                "file_bytes": sizes.get(name),
            }
            if queries:
                p_vecs = np.empty_like(vecs)
                p_vecs[order] = vecs
                q_vecs = encode(queries)
                row["recall_at_1"] = recall_at_1(q_vecs, p_vecs, gold)
            results[name] = row
            print(f"  {name}: {row['passages_per_s']:.1f} passages/s", flush=True)

    torch_pps = results["torch-fp32"]["passages_per_s"]
    header = (
        f"{'backend':<11} {'pass/s best':>11} {'pass/s mean':>11} {'vs torch':>8} "
        f"{'cos min':>8} {'cos mean':>8} {'R@1':>6}"
    )
    print()
    print(header)
    print("-" * len(header))
    for name, row in results.items():
        row["ratio_to_torch"] = row["passages_per_s"] / torch_pps
        r1 = f"{row['recall_at_1']:.3f}" if "recall_at_1" in row else "-"
        print(
            f"{name:<11} {row['passages_per_s']:>11.1f} {row['passages_per_s_mean']:>11.1f} "
            f"{row['ratio_to_torch']:>7.2f}x {row['cos_min']:>8.4f} {row['cos_mean']:>8.4f} "
            f"{r1:>6}"
        )
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    if args.out:
        report = {
            "model": str(args.model),
            "passages": len(passages),
            "chars": args.chars,
            "questions": len(queries),
            "batch": args.batch,
            "threads": args.threads,
            "passes": args.passes,
            "export_s": export_s,
            "quantize_s": quant_s,
            "versions": {
                "python": platform.python_version(),
                "torch": torch.__version__,
                "onnxruntime": ort.__version__,
            },
            "loadavg": list(load),
            "backends": results,
        }
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
