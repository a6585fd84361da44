"""Retrieval of English questions over the Korean bundled page, by variant and split.

Ingests ``corpus/`` into its own data dir, then ranks the documents for every answerable
question of ``evals/english.jsonl`` under each variant and prints recall@1/3 and MRR@10
for the ``dev`` and ``test`` tags (choose on dev, report test) and all:

    python bench/english_retrieval.py --data-dir /tmp/english-bench [--names-only]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.evaluation import metrics as m
from assistant.evaluation.cases import load_cases
from assistant.evaluation.results import gold_label
from assistant.pipeline.service import Assistant
from assistant.retrieval.fusion import Fusion
from assistant.retrieval.lexicon import Lexicon
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
# (name, use the lexicon, bm25 weight, dense weight, names appended to the dense query)
VARIANTS = [
    ("dense only (before)", False, 0.5, 0.5, False),
    ("names -> BM25, 0.5/0.5", True, 0.5, 0.5, False),
    ("names -> BM25, 0.3/0.7", True, 0.3, 0.7, False),
    ("names -> BM25, 0.7/0.3", True, 0.7, 0.3, False),
    ("names -> BM25 and dense query, 0.5/0.5", True, 0.5, 0.5, True),
    ("names -> BM25 and dense query, 0.3/0.7", True, 0.3, 0.7, True),
    ("dense query with names only, no BM25", True, 0.0, 1.0, True),
]


def figures(pairs: list[tuple[list[str], list[str]]]) -> str:
    """recall@1, recall@3 and MRR@10 of (ranking, gold) pairs."""
    r1 = m.mean(m.recall_at_k(r, g, 1) for r, g in pairs)
    r3 = m.mean(m.recall_at_k(r, g, 3) for r, g in pairs)
    mrr = m.mean(m.mrr_at_k(r, g, 10) for r, g in pairs)
    return f"R@1 {r1:.3f} R@3 {r3:.3f} MRR@10 {mrr:.3f} (n={len(pairs)})"


def names_only(path: Path) -> Lexicon:
    """The built-in lexicon without its common news words (the names alone)."""
    text = path.read_text("utf-8").split("# --- common news words")[0]
    lexicon = Lexicon()
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            english, _, korean = line.partition("\t")
            lexicon.add(english, korean.split("|"))
    return lexicon


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--cases", type=Path, default=ROOT / "evals/english.jsonl")
    ap.add_argument("--model-dir", type=Path, default=ROOT / ".data/models")
    ap.add_argument("--names-only", action="store_true", help="leave out the news words")
    args = ap.parse_args()
    settings = Settings(data_dir=args.data_dir, model_dir=args.model_dir)
    qa = Assistant(settings)
    qa.ingest([ROOT / "corpus"])
    cases = [c for c in load_cases(args.cases) if c.turns[0].answers]
    search, lexicon = qa.search, qa.search.lexicon
    if args.names_only:
        lexicon = names_only(settings.lexicon_file or Path())
    for name, use, wb, wd, dense_names in VARIANTS:
        search.lexicon = lexicon if use else None
        rows: dict[str, list[tuple[list[str], list[str]]]] = {"dev": [], "test": [], "all": []}
        for case in cases:
            turn = case.turns[0]
            names = search.translated(turn.question)
            text = f"{turn.question} {names}" if dense_names and names else turn.question
            vector = qa.embedder.embed_queries([text])[0]
            docs = search.search(
                turn.question, k=30, query_vector=vector, fusion=Fusion("weighted", wb, wd)
            )
            labels = (gold_label(d.metadata["doc_id"], turn.gold_docs) for d in docs)
            ranked = list(dict.fromkeys(labels))
            for split in ("dev", "test", "all"):
                if split == "all" or split in case.tags:
                    rows[split].append((ranked, turn.gold_docs))
        print(f"{name}: { ({split: figures(pairs) for split, pairs in rows.items()}) }")
    search.lexicon = lexicon
    qa.close()


if __name__ == "__main__":
    main()
