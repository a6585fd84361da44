"""Calibrate the extractive answerer on KorQuAD's calibration half; report on its test half.

    HF_HUB_OFFLINE=1 python bench/calibrate_answerer.py --work /work/bench-data/wt13a \\
        --per-half 1500 --json artifacts/calibrate_answerer.json

KorQuAD 1.0 dev is split by article (article index even: calibration, odd: test; fixed).
Every sampled question is asked twice: as is (answerable), and with its whole article
dropped from the ranking (SQuAD-2.0-style unanswerable: the chunks of the gold article are
removed from a deep ranking and the next five are read). Retrieval and sentence analysis
run once per question (``collect``); the sentence weights, the type floor, the short-answer
span weights, the sentence margin and the relevance model are then tuned offline on the
calibration half only, with the answerer's own functions (``simulate`` follows
``ExtractiveAnswerer.read``/``answer`` step by step), and every figure is printed for both
halves. The constants to paste into ``assistant/answering/scoring.py`` are printed last.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from assistant import configure_threads
from assistant.answering import scoring, spans
from assistant.answering.extractive import SPAN_KINDS, ExtractiveAnswerer, ScoredSentence
from assistant.answering.relevance import RELEVANCE_FEATURES, features
from assistant.evaluation import metrics as m
from assistant.evaluation.squad import squad_workspace
from assistant.settings import Settings
from assistant.text.answer_types import expectation
from assistant.text.korean import KoreanAnalyzer, content_terms
from assistant.text.question_kind import QuestionKind, question_kind

KORQUAD = Path("/work/shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json")
MODELS = Path("/work/main/.data/models")


@dataclass
class Record:
    """One question as retrieved and analysed, ready to be answered under any constants."""

    half: str  # calibration | test
    answerable: bool
    question: str
    golds: list[str]
    asked: QuestionKind
    weights: dict[str, float]
    sentences: list[ScoredSentence]
    type_ok: list[bool]  # each sentence can hold the expected answer type
    gold_in: list[bool]  # each sentence contains a gold answer
    chunk_terms: list[set[str]]
    strict_ok: list[bool] = field(default_factory=list)  # the strict answer-type checks
    cands: dict[int, list[spans.Candidate]] = field(default_factory=dict)
    cmats: dict[int, np.ndarray] = field(default_factory=dict)


def strict_checks(r: Record, analyzer: KoreanAnalyzer) -> None:
    """Each sentence against Expectation.strict (and the type checks, recomputed)."""
    wanted = expectation(analyzer.tokens(r.question))
    strict = wanted.strict()
    r.type_ok = [
        not wanted.any or wanted.met_by(s.text, s.tokens, c)
        for s, c in zip(r.sentences, r.chunk_terms, strict=True)
    ]
    r.strict_ok = [
        not strict.any or strict.met_by(s.text, s.tokens, c)
        for s, c in zip(r.sentences, r.chunk_terms, strict=True)
    ]


def collect(qa, answerer: ExtractiveAnswerer, case, half: str, drop_title: str | None) -> Record:
    """Retrieve (dropping the gold article for an unanswerable) and analyse every sentence."""
    turn = case.turns[0]
    vector = qa.embedder.embed_queries([turn.question])[0]
    depth = 40 if drop_title else qa.settings.k
    ranking = qa.search.search(turn.question, k=depth, query_vector=vector)
    if drop_title:
        ranking = [d for d in ranking if d.metadata["title"] != drop_title]
    docs = tuple(ranking[: qa.settings.k])
    q_morphemes = qa.analyzer.morphemes(turn.question)
    q_tokens = [(x[0], x[1]) for x in q_morphemes]
    scored = answerer.score_sentences(turn.question, docs, vector, q_morphemes)
    wanted = expectation(q_tokens)
    by_chunk: dict[str, set[str]] = {}
    for s in scored:
        by_chunk.setdefault(s.doc.metadata["chunk_id"], set()).update(s.terms)
    return Record(
        half,
        not drop_title,
        turn.question,
        turn.answers,
        question_kind(q_morphemes),
        scoring.term_weights(content_terms(q_tokens), qa.store.lexical()),
        scored,
        [
            not wanted.any or wanted.met_by(s.text, s.tokens, by_chunk[s.doc.metadata["chunk_id"]])
            for s in scored
        ],
        [m.contains_answer(s.text, turn.answers) for s in scored],
        [by_chunk[s.doc.metadata["chunk_id"]] for s in scored],
    )


@dataclass
class Params:
    sentence: dict[str, float] = field(default_factory=lambda: dict(scoring.W_SENTENCE))
    margin: float = scoring.SENTENCE_MARGIN
    type_margin: float = scoring.TYPE_MARGIN
    span: dict[str, float] = field(default_factory=lambda: dict(scoring.SPAN_WEIGHTS))
    model: dict[str, float] = field(default_factory=lambda: dict(scoring.RELEVANCE_MODEL))
    threshold: float = scoring.RELEVANCE_THRESHOLD


def cands(r: Record, i: int) -> list[spans.Candidate]:
    """Sentence ``i``'s short-answer candidates, in start order (cached)."""
    if i not in r.cands:
        s = r.sentences[i]
        found = spans.candidates(s.text, list(s.morphemes), r.asked, set(r.weights))
        r.cands[i] = sorted(found, key=lambda c: c.start)
        r.cmats[i] = np.array([c.features for c in r.cands[i]], dtype=float).reshape(
            len(r.cands[i]), len(spans.FEATURES)
        )
    return r.cands[i]


def best_span(r: Record, i: int, p: Params) -> tuple[spans.Candidate | None, float]:
    """spans.best under ``p.span`` (the earliest of equals) and its score."""
    found = cands(r, i)
    if not found:
        return None, 0.0
    scores = r.cmats[i] @ np.array([p.span[n] for n in spans.FEATURES])
    k = int(np.argmax(scores))
    return found[k], float(scores[k])


def sentence_features(r: Record, i: int, p: Params) -> list[float]:
    """ExtractiveAnswerer.score_sentences' features of sentence ``i``."""
    s = r.sentences[i]
    korean = any("\uac00" <= ch <= "\ud7a3" for ch in r.question)
    dense = scoring.dense_score(s.cosine)
    _, fit = best_span(r, i, p)
    lexical = s.coverage if korean else dense
    return [lexical, dense, s.retrieval, fit / scoring.SPAN_SCALE, float(r.type_ok[i])]


def ranked(r: Record, p: Params) -> list[tuple[float, int]]:
    """The answerer's sentence order under ``p``; empty when it refuses on answer type."""
    w = [p.sentence[n] for n in scoring.SENTENCE_FEATURES]
    out = [(float(np.dot(w, sentence_features(r, i, p))), i) for i in range(len(r.sentences))]
    out.sort(key=lambda x: -x[0])
    # ExtractiveAnswerer.read's type_first
    window = [(sc, i) for sc, i in out if sc >= out[0][0] - p.type_margin] if out else []
    lead = next((x for x in window if r.type_ok[x[1]]), None)
    lead = lead or next((x for x in window if r.strict_ok[x[1]]), None)
    return [lead, *[x for x in out if x is not lead]] if lead else []


def decide(r: Record, p: Params) -> dict:
    """What the answerer would reply: refused, sentences quoted, the short answer."""
    order = ranked(r, p)
    if not order:
        return {"refused": True, "relevance": 0.0, "chosen": [], "short": ""}
    best_score, top = order[0]
    s = r.sentences[top]
    span, _ = best_span(r, top, p)
    found = r.chunk_terms[top]
    values = features(
        score=best_score,
        coverage=s.coverage,
        dense=scoring.dense_score(s.cosine),
        span_type=span.features[0] if span else 0.0,
        focus_missing=bool(r.asked.focus) and r.asked.focus not in found,
        type_ok=r.type_ok[top],
        weights=r.weights,
        found=found,
    )
    z = p.model["bias"] + sum(
        p.model[n] * v for n, v in zip(RELEVANCE_FEATURES, values, strict=True)
    )
    rel = 1 / (1 + np.exp(-np.clip(z, -50, 50)))
    chosen = [i for sc, i in order if sc >= best_score - p.margin][:3]
    chosen = [top, *[i for i in chosen if i != top]][:3]
    short = span.text if span and r.asked.kind in SPAN_KINDS else ""
    return {
        "refused": rel < p.threshold,
        "relevance": rel,
        "chosen": chosen,
        "short": short,
        "values": values,
    }


def summary(records: list[Record], p: Params) -> dict[str, float]:
    ans = [r for r in records if r.answerable]
    una = [r for r in records if not r.answerable]
    out = {"answerable": len(ans), "unanswerable": len(una)}
    got = [(r, decide(r, p)) for r in ans]
    out["contains_gold"] = np.mean(
        [not d["refused"] and any(r.gold_in[i] for i in d["chosen"]) for r, d in got]
    )
    out["top_sentence_gold"] = np.mean(
        [bool(d["chosen"]) and r.gold_in[d["chosen"][0]] for r, d in got]
    )
    out["answerable_refused"] = np.mean([d["refused"] for _, d in got])
    out["sentences_per_answer"] = np.mean([len(d["chosen"]) for _, d in got if not d["refused"]])
    out["quoted_sentences_with_gold"] = np.mean(
        [r.gold_in[i] for r, d in got if not d["refused"] for i in d["chosen"]]
    )
    shorts = [("" if d["refused"] else d["short"], r.golds) for r, d in got]
    out["em"] = np.mean([m.best_over_golds(m.exact_match, s, g) for s, g in shorts])
    out["f1"] = np.mean([m.best_over_golds(m.char_f1, s, g) for s, g in shorts])
    out["with_short_answer"] = np.mean([bool(s) for s, _ in shorts])
    if una:
        out["unanswerable_refused"] = np.mean([decide(r, p)["refused"] for r in una])
    return {k: round(float(v), 4) for k, v in out.items()}


def collect_all(args: argparse.Namespace) -> list[Record]:
    """Both halves' sampled questions, answerable and with their article dropped."""
    from assistant.pipeline.service import Assistant

    configure_threads(1)  # questions are embedded on one thread, as `assistant ask` does
    settings = Settings(data_dir=args.work, model_dir=MODELS)
    cases, corpus_dir, eval_settings = squad_workspace(args.korquad, settings)
    title = {c.id: c.turns[0].gold_docs[0].rsplit("#", 1)[0] for c in cases}
    order = {t: i for i, t in enumerate(dict.fromkeys(title.values()))}
    records = []
    with Assistant(eval_settings) as qa:
        print(qa.ingest([corpus_dir], progress=False).summary(), flush=True)
        answerer = qa.answerers["extractive"]
        started = time.perf_counter()
        for parity, half in ((0, "calibration"), (1, "test")):
            pool = [c for c in cases if order[title[c.id]] % 2 == parity]
            sample = random.Random(13).sample(pool, min(args.per_half, len(pool)))
            for n, case in enumerate(sample):
                records.append(collect(qa, answerer, case, half, None))
                records.append(collect(qa, answerer, case, half, title[case.id]))
                if n % 250 == 0:
                    print(
                        f"  {half} {n}/{len(sample)} {time.perf_counter() - started:.0f} s",
                        flush=True,
                    )
    return records


def span_matrix(r: Record, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Candidates of sentence ``i`` in start order: features, EM, F1 and texts."""
    cs = cands(r, i)
    feats = r.cmats[i]
    em = np.array([m.best_over_golds(m.exact_match, c.text, r.golds) for c in cs])
    f1 = np.array([m.best_over_golds(m.char_f1, c.text, r.golds) for c in cs])
    return feats, em, f1, [c.text for c in cs]


def span_fit(mats: list, w: np.ndarray) -> tuple[float, float]:
    """Mean EM and F1 of the argmax candidate under weights ``w`` (no candidate: 0)."""
    em = f1 = 0.0
    for feats, e, f in mats:
        if len(e):
            k = int(np.argmax(feats @ w))
            em, f1 = em + e[k], f1 + f[k]
    return em / len(mats), f1 / len(mats)


def tune(calib: list[Record]) -> Params:
    """Every constant, chosen on the calibration half alone."""
    from sklearn.linear_model import LogisticRegression

    p = Params()
    ans = [r for r in calib if r.answerable]
    # 1. span weights, on the best sentence under coverage/dense/retrieval alone: a logistic
    # fit of "this candidate is the gold answer", then refined on F1 by coordinate ascent.
    p.sentence = {"coverage": 0.3, "dense": 0.1, "retrieval": 0.6, "span": 0.0, "type": 0.0}
    p.type_margin = 0.15  # the same share of this score's scale as TYPE_MARGIN of the tuned
    mats = []
    for r in ans:
        o = ranked(r, p)
        if o and r.asked.kind in SPAN_KINDS:
            feats, em, f1, _ = span_matrix(r, o[0][1])
            mats.append((feats, em, f1))
    x = np.vstack([f for f, e, _ in mats if len(e)])
    y = np.concatenate([e for _, e, _ in mats if len(e)]) > 0.5
    w = LogisticRegression(C=1.0, max_iter=2000).fit(x, y).coef_[0].copy()
    print(
        "span weights, logistic fit:",
        dict(zip(spans.FEATURES, np.round(w, 3), strict=True)),
        span_fit(mats, w),
    )
    best = span_fit(mats, w)[1]
    for _ in range(2):  # coordinate ascent on F1
        for k in range(len(w)):
            for step in (-1.0, -0.5, 0.5, 1.0):
                trial = w.copy()
                trial[k] += step
                f1 = span_fit(mats, trial)[1]
                if f1 > best + 1e-6:
                    best, w = f1, trial
    print(
        f"span weights after ascent (F1 on {len(mats)}):",
        dict(zip(spans.FEATURES, np.round(w, 3), strict=True)),
        span_fit(mats, w),
    )
    p.span = {n: round(float(v), 3) for n, v in zip(spans.FEATURES, w, strict=True)}
    # 2. sentence weights: a logistic fit of "this sentence holds the gold answer".
    xs, ys = [], []
    for r in ans:
        for i in range(len(r.sentences)):
            xs.append(sentence_features(r, i, p))
            ys.append(r.gold_in[i])
    fit = LogisticRegression(C=1.0, max_iter=3000).fit(np.array(xs), np.array(ys))
    p.sentence = {
        n: round(float(v), 3) for n, v in zip(scoring.SENTENCE_FEATURES, fit.coef_[0], strict=True)
    }
    hit = np.mean([bool(o) and r.gold_in[o[0][1]] for r in ans for o in [ranked(r, p)]])
    print("sentence weights:", p.sentence, f"top sentence holds gold {hit:.4f}")
    # 3. the margin for a second and third sentence.
    p.threshold = 0.0
    print("margin -> contains gold, sentences per answer, quoted sentences holding gold:")
    table = []
    for margin in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 100.0):
        p.margin = margin
        s = summary(ans, p)
        table.append((margin, s["contains_gold"], s["quoted_sentences_with_gold"]))
        print(
            f"  {margin:5.3f}  {s['contains_gold']:.4f}  {s['sentences_per_answer']:.2f}  "
            f"{s['quoted_sentences_with_gold']:.4f}"
        )
    # the widest margin whose quoted sentences hold the gold as often as today's (0.75)
    p.margin = max((mg for mg, c, prec in table if prec >= 0.75), default=0.0)
    # 4. the type margin and the relevance model: answerable vs the same questions without
    # their article; the threshold lets 1% of the answerable be refused; the type margin
    # that then refuses the most unanswerables wins.
    choices = []
    for type_margin in (0.75, 1.5, 3.0, 100.0):
        p.type_margin, p.threshold = type_margin, 0.0
        model, threshold = fit_relevance(calib, p)
        q = Params(p.sentence, p.margin, type_margin, p.span, model, threshold)
        s = summary(calib, q)
        print(f"type margin {type_margin}: {s}")
        choices.append((s["unanswerable_refused"], -type_margin, q))
    return max(choices, key=lambda c: c[:2])[2]


def fit_relevance(
    calib: list[Record], p: Params, max_refused: float = 0.01
) -> tuple[dict[str, float], float]:
    """The relevance model's weights and the threshold that refuses ``max_refused`` of the
    answerable (those the answer-type veto refuses included)."""
    from sklearn.linear_model import LogisticRegression

    ans = [r for r in calib if r.answerable]
    rows, labels = [], []
    for r in calib:
        d = decide(r, p)
        if d["chosen"]:
            rows.append(d["values"])
            labels.append(r.answerable)
    fit = LogisticRegression(C=1.0, max_iter=5000).fit(np.array(rows), np.array(labels))
    p = Params(p.sentence, p.margin, p.type_margin, p.span, {}, 0.0)
    p.model = {"bias": round(float(fit.intercept_[0]), 3)}
    p.model.update(
        {n: round(float(v), 3) for n, v in zip(RELEVANCE_FEATURES, fit.coef_[0], strict=True)}
    )
    rel = sorted(d["relevance"] for r in ans for d in [decide(r, p)] if d["chosen"])
    allowed = int(max_refused * len(ans)) - sum(1 for r in ans if not ranked(r, p))
    threshold = round(float(rel[max(allowed, 0)]) - 1e-4, 4) if rel else 0.5
    print("relevance model:", p.model, "threshold", threshold)
    return p.model, threshold


def curve(records: list[Record], p: Params) -> list[tuple[float, float, float]]:
    """(threshold, precision, recall) of refusing the unanswerables, over thresholds."""
    pts = []
    rel = [(decide(r, p)["relevance"] if ranked(r, p) else -1.0, r.answerable) for r in records]
    for t in np.linspace(0, 1, 41):
        refused = [a for v, a in rel if v < t]
        una = sum(not a for _, a in rel)
        tp = sum(not a for a in refused)
        prec = tp / len(refused) if refused else 1.0
        pts.append((round(float(t), 3), round(prec, 4), round(tp / una if una else 0.0, 4)))
    return pts


def print_curve(records: list[Record], p: Params) -> list[tuple[float, float, float]]:
    pts = curve(records, p)
    print("test half: threshold  refusal precision  unanswerable recall")
    for t, prec, rec in pts[::4]:
        print(f"  {t:5.3f}  {prec:.4f}  {rec:.4f}")
    return pts


def print_constants(p: Params) -> None:
    print("\n# paste into assistant/answering/scoring.py")
    print(f"W_SENTENCE = {p.sentence}")
    print(f"SENTENCE_MARGIN = {p.margin}")
    print(f"TYPE_MARGIN = {p.type_margin}")
    print(f"SPAN_WEIGHTS = {p.span}")
    print(f"RELEVANCE_MODEL = {p.model}")
    print(f"RELEVANCE_THRESHOLD = {p.threshold}")


def bundled(work: Path) -> dict[str, dict[str, float]]:
    """The answerer as configured, end to end over the bundled page: the seed set and the
    people set (evals/people.jsonl: questions about its people it does not answer)."""
    from assistant.evaluation.cases import load_cases
    from assistant.evaluation.report import render_html
    from assistant.evaluation.runner import evaluate
    from assistant.pipeline.service import Assistant
    from assistant.settings import PROJECT_ROOT

    configure_threads(1)
    out = {}
    settings = Settings(data_dir=work / "bundled", model_dir=MODELS)
    with Assistant(settings) as qa:
        qa.ingest([PROJECT_ROOT / "corpus"], progress=False)
        for name in ("seed", "people"):
            report = evaluate(
                qa, load_cases(PROJECT_ROOT / "evals" / f"{name}.jsonl"), progress=False
            )
            data = report.to_dict()
            html = work / f"{name}.html"
            html.write_text(render_html(data), encoding="utf-8")
            met = report.metrics
            out[name] = {
                k: round(float(met.get(k, float("nan"))), 4)
                for k in (
                    "answer_contains_gold",
                    "citation_correct",
                    "refusal_recall",
                    "false_refusals",
                    "exact_match",
                    "f1",
                    "total_p50_ms",
                )
            }
            print(name, out[name], flush=True)
            for r in report.results:
                mark = "ok  " if r.passed else "MISS"
                print(
                    f"  {mark} {r.case_id} rel={r.relevance or 0:.3f} {r.question} "
                    f"-> {r.answer[:60]!r}"
                )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/work/bench-data/wt13a"))
    parser.add_argument("--per-half", type=int, default=1500)
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--recollect", action="store_true")
    parser.add_argument("--bundled", action="store_true", help="only the seed and people sets")
    args = parser.parse_args()
    if args.bundled:
        bundled(args.work)
        return
    cache = args.work / f"calibrate-{args.per_half}.pkl"
    if cache.exists() and not args.recollect:
        records = pickle.loads(cache.read_bytes())
        analyzer = KoreanAnalyzer()
        for r in records:  # caches of candidates are rebuilt with the current spans code
            r.cands, r.cmats = {}, {}
            strict_checks(r, analyzer)
    else:
        records = collect_all(args)
        analyzer = KoreanAnalyzer()
        for r in records:
            strict_checks(r, analyzer)
        cache.write_bytes(pickle.dumps(records))
    calib = [r for r in records if r.half == "calibration"]
    test = [r for r in records if r.half == "test"]
    print(
        f"{sum(r.answerable for r in calib)} calibration / {sum(r.answerable for r in test)} "
        "test questions (+ as many unanswerable)"
    )
    base = Params()
    print("current constants  calibration:", summary(calib, base))
    print("current constants  test:       ", summary(test, base))
    best = tune(calib)
    results = {"calibration": summary(calib, best), "test": summary(test, best)}
    print("tuned              calibration:", results["calibration"])
    print("tuned              test:       ", results["test"])
    print_curve(test, best)
    print("operating points: answerable refused allowed on calibration -> threshold, both halves")
    for share in (0.01, 0.02, 0.03, 0.05):
        _, t = fit_relevance(calib, best, share)
        q = Params(best.sentence, best.margin, best.type_margin, best.span, best.model, t)
        c, s = summary(calib, q), summary(test, q)
        print(
            f"  {share:.2f} -> {t:.4f}: calibration refused {c['answerable_refused']:.4f} / "
            f"{c['unanswerable_refused']:.4f}, test refused {s['answerable_refused']:.4f} / "
            f"{s['unanswerable_refused']:.4f} (answerable / unanswerable)"
        )
    print_constants(best)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
