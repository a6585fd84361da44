"""Measure the verifier's support thresholds on the seed set instead of guessing them.

Builds labelled (sentence, passage) pairs from ``evals/seed.jsonl`` over the bundled
corpus, with each question's own retrieved passages (k=5):

- supported: a sentence holding a gold answer, against a retrieved passage that holds
  it too. Sentences come from the article itself (the gold sentences) and, with
  ``--answers``, from a local model's answers (the JSON ``bench/llm_answers.py`` writes),
  which paraphrase and shorten as generated answers do.
- unsupported: the same sentences against the other retrieved passages that do not
  hold the gold answer (hard negatives: retrieved for the same question, often from the
  same article), and fact-swapped copies (the gold answer replaced by another question's
  gold answer) against their own passage.
- English: hand-written English statements of seed facts (an English question gets an
  English answer), against the passage that holds the fact and against the others.

Then it sweeps the threshold on ``Verifier.support_matrix``'s score, separately for
sentences with and without Hangul, and prints the balanced accuracy of each; the best
ones are what ``assistant/verification.py`` uses.

    python bench/calibrate_verification.py [--answers artifacts/llm_answers.json]
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.answering.claims import generated_sentences
from assistant.answering.scoring import dense_score
from assistant.evaluation.cases import load_cases
from assistant.pipeline.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings

# English statements of seed facts, with a Korean string the supporting passage holds.
ENGLISH = [
    ("Kim Jong-un called North Korea–Russia relations a precious common asset.", "공동자산"),
    ("Kim described this year as a meaningful year.", "의미 있는"),
    ("North Korea sent about 15,000 combat troops to support Russia.", "1만 5천"),
    ("The two countries signed a comprehensive strategic partnership treaty.", "파트너십"),
    ("The summit took place in Pyongyang in June 2024.", "2024년 6월"),
    ("Ambassador Matsegora served for ten years.", "10년간"),
    ("Foreign Minister Choe Son-hui sent separate condolences.", "최선희"),
    ("Putin praised the deployment of North Korean troops as heroic.", "영웅적"),
    ("North Korean media reported Putin's message a week late.", "일주일"),
    ("North Korea test-fired a hypersonic missile on the 4th.", "극초음속"),
    ("The missile hit a target in the East Sea.", "동해상"),
    ("Trump's visit to China is being discussed for April.", "4월"),
    ("The launch came right after the US arrested President Maduro.", "마두로"),
    ("Xi Jinping and Lee Jae-myung held a summit in Beijing.", "베이징"),
    ("Experts expect Pyongyang to rely more on nuclear weapons.", "핵무기"),
]


@dataclass(slots=True)
class Pair:
    sentence: str
    passage: object  # Document
    label: bool
    kind: str


def squeeze(text: str) -> str:
    return "".join(text.split())


def has(text: str, golds: list[str]) -> bool:
    return any(squeeze(g) and squeeze(g) in squeeze(text) for g in golds)


def build_pairs(qa: Assistant, answers_json: Path | None) -> list[Pair]:
    cases = load_cases(PROJECT_ROOT / "evals" / "seed.jsonl")
    turns = [t for c in cases for t in c.turns[:1] if t.answers]  # standalone questions
    all_golds = [t.answers[0] for t in turns]
    generated: dict[str, list[str]] = {}
    if answers_json is not None:
        data = json.loads(answers_json.read_text(encoding="utf-8"))
        for t in data["turns"]["llamacpp"]:
            if t["turn"] == 0 and t["generation"].get("raw"):
                generated[t["question"]] = [
                    s for s, _ in generated_sentences(t["generation"]["raw"], qa.analyzer)
                ]
    pairs: list[Pair] = []
    for i, turn in enumerate(turns):
        vector = qa.embedder.embed_queries([turn.question])[0]
        docs = qa.search.search(turn.question, k=5, query_vector=vector)
        holding = [d for d in docs if has(d.page_content, turn.answers)]
        others = [d for d in docs if not has(d.page_content, turn.answers)]
        if not holding:
            continue
        own = holding[0]
        gold_sentences = [
            own.page_content[s - own.metadata["start"] : e - own.metadata["start"]]
            for s, e in own.metadata["sentences"]
        ]
        sentences = [(s, "article") for s in gold_sentences if has(s, turn.answers)]
        sentences += [(s, "generated") for s in generated.get(turn.question, [])]
        # another question's answer that this passage does not hold: a real substitution
        swap = next(g for g in all_golds[i + 1 :] + all_golds[:i] if not has(own.page_content, [g]))
        for sentence, source in sentences:
            if not has(sentence, turn.answers):
                continue
            pairs.append(Pair(sentence, own, True, f"{source}: own passage"))
            pairs += [Pair(sentence, d, False, f"{source}: other passage") for d in others]
            gold = next(g for g in turn.answers if squeeze(g) in squeeze(sentence))
            swapped = sentence.replace(gold, swap) if gold in sentence else None
            if swapped:
                pairs.append(Pair(swapped, own, False, f"{source}: fact swapped"))
    for sentence, needle in ENGLISH:
        vector = qa.embedder.embed_queries([sentence])[0]
        docs = qa.search.search(sentence, k=5, query_vector=vector)
        for d in docs:
            pairs.append(Pair(sentence, d, needle in d.page_content, "english"))
    return pairs


def sweep(scores: np.ndarray, labels: np.ndarray, name: str) -> float:
    pos, neg = scores[labels], scores[~labels]
    print(f"\n{name}: {len(pos)} supported pairs, {len(neg)} unsupported")
    print(
        f"  supported   score p10/p50/min: {np.percentile(pos, 10):.3f} "
        f"{np.median(pos):.3f} {pos.min():.3f}"
    )
    print(
        f"  unsupported score p90/p50/max: {np.percentile(neg, 90):.3f} "
        f"{np.median(neg):.3f} {neg.max():.3f}"
    )
    print("  threshold  kept-if-supported  dropped-if-unsupported  balanced")
    best, best_t = -1.0, 0.0
    for t in np.arange(0.20, 0.86, 0.025):
        tpr, tnr = float((pos >= t).mean()), float((neg < t).mean())
        bal = (tpr + tnr) / 2
        if bal > best + 1e-9:
            best, best_t = bal, float(t)
        print(f"  {t:9.3f}  {tpr:17.3f}  {tnr:22.3f}  {bal:8.3f}")
    print(f"  best: {best_t:.3f} (balanced accuracy {best:.3f})")
    return best_t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=Path, help="JSON from bench/llm_answers.py")
    args = parser.parse_args()
    base = Settings()
    settings = base.model_copy(
        update={"data_dir": base.data_dir / "bench" / "llm-answers", "model_dir": base.models_dir}
    )
    qa = Assistant(settings)
    qa.ingest([settings.corpus_dir or PROJECT_ROOT / "corpus"], progress=False)
    pairs = build_pairs(qa, args.answers)
    scores, labels, hangul, cover, cos = [], [], [], [], []
    for p in pairs:
        m = qa.verifier.support_matrix([p.sentence], [p.passage])
        support, coverage, cosine = m.support, m.coverage, m.cosine
        scores.append(float(support[0, 0]))
        cover.append(float(coverage[0, 0]))
        cos.append(float(cosine[0, 0]))
        labels.append(p.label)
        hangul.append(p.kind != "english")
    s, y, h = np.array(scores), np.array(labels), np.array(hangul)
    dense = dense_score(np.array(cos))
    print("Korean: best balanced accuracy by lexical weight (the rest on embeddings)")
    for w in (0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0):
        mixed = (w * np.array(cover) + (1 - w) * dense)[h]
        best = max(
            ((mixed[y[h]] >= t).mean() + (mixed[~y[h]] < t).mean()) / 2
            for t in np.arange(0.1, 0.95, 0.025)
        )
        print(f"  w_lexical={w:.1f}: {best:.3f}")
    kinds = sorted({p.kind for p in pairs})
    print("pairs by kind:", {k: sum(p.kind == k for p in pairs) for k in kinds})
    for k in kinds:
        sel = np.array([p.kind == k for p in pairs])
        print(f"  {k:28} mean score {s[sel].mean():.3f}")
    sweep(s[h], y[h], "Korean sentences (morphemes + embeddings)")
    sweep(s[~h], y[~h], "English sentences (embeddings only)")


if __name__ == "__main__":
    main()
