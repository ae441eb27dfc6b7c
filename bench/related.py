"""Related articles and synonyms against searches, in one run, on one index (issue 12).

    python -m bench.related                                   # bench/out/corpus-10k.jsonl
    python -m bench.related --corpus bench/out/corpus-10k.jsonl --articles 300 --rounds 3

In one process, interleaved so that both meet the same moment of a shared machine:
- a search of the benchmark's query mix (bench/queries.py), and
- the related articles (limit 5) of an article drawn at random among the published ones;
then the same query mix with synonyms in force (rules written on the mix's own words, so that
a quarter of its queries are expanded), against the mix without them, query by query.
The engine keeps no answer cache on this path (searchweb's AnswerCache is not used): each call
computes its whole answer. The first round asks each article for the first time (its terms read
and weighed anew); later rounds ask the same articles again with the term caches warm, as a
server's do. Writes Markdown to stdout and JSON to bench/out/related-<size>.json. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

from bench import queries as queries_mod
from bench.corpus import OUT, size_label
from bench.figures import pct
from bench.harness import log

SEED = 12


def _index(corpus: Path, index: Path) -> None:
    from indexer.build import build_index
    if (index / "CURRENT").exists():
        return
    log(f"building {index} from {corpus}")
    started = time.perf_counter()
    build_index([str(corpus)], index)
    log(f"built in {time.perf_counter() - started:.1f} s")


def _synonym_rules(mix: list[dict], rng: random.Random) -> list[dict]:
    """Rules on the mix's own one-word queries: a third of them get a synonym (another word of
    the mix, or a two-word phrase of it), both ways or one way; plus filler rules on words the
    mix never asks, so the table has the size of a real one."""
    words = sorted({q["q"] for q in mix if " " not in q["q"] and q["q"].isalpha() and len(q["q"]) > 3})
    others = sorted({q["q"] for q in mix if q["kind"] in ("two_words",)})
    rules = []
    for i, word in enumerate(rng.sample(words, len(words) // 3)):
        target = rng.choice(others) if i % 2 else rng.choice(words)
        if target == word:
            continue
        rules.append({"synonyms": [word, target]} if i % 3 else {"input": word, "synonyms": [target]})
    rules += [{"synonyms": [f"sigle{i}", f"mot{i} composé{i}"]} for i in range(100)]
    return rules


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=OUT / "corpus-10k.jsonl")
    ap.add_argument("--index", type=Path, default=None, help="default: bench/out/related-<size>-index")
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)

    from indexer.search import IndexStore, SearchRequest, related_articles, search, update_settings
    from indexer.storage import settings as settings_file

    size = sum(1 for _ in args.corpus.open(encoding="utf-8"))
    label = size_label(size)
    index = args.index or OUT / f"related-{label}-index"
    _index(args.corpus, index)
    (index / settings_file.SETTINGS).unlink(missing_ok=True)

    store = IndexStore(index)
    generation = store.current()
    rng = random.Random(SEED)
    ids = sorted(generation.catalog())
    picked = rng.sample(ids, min(args.articles, len(ids)))
    mix = queries_mod.build_mix(args.corpus)
    log(f"{generation.articles} articles; {len(mix)} queries; related of {len(picked)} articles x {args.rounds} rounds")

    def run_search(q: dict, on=store) -> float:
        t = time.perf_counter()
        search(on, SearchRequest(q=q["q"], filters={k: list(v) for k, v in q["filters"].items()}, per_page=10))
        return (time.perf_counter() - t) * 1000

    def run_related(article_id: str) -> float:
        t = time.perf_counter()
        related_articles(store, article_id, 5)
        return (time.perf_counter() - t) * 1000

    for q in mix[:20]:  # warm-up, as bench.worker's
        run_search(q)
    searches, related_first, related_again = [], [], []
    for r in range(args.rounds):
        for i, article_id in enumerate(picked):
            searches.append(run_search(mix[(r * len(picked) + i) % len(mix)]))
            (related_first if r == 0 else related_again).append(run_related(article_id))
    related_all = related_first + related_again

    # Synonyms: the same mix with and without rules in force, alternating query by query, on two
    # folders of the same index (hard links: the same files) whose settings differ.
    rules = _synonym_rules(mix, rng)
    twin = index.parent / f"{index.name}-twin"
    if twin.exists():
        shutil.rmtree(twin)
    shutil.copytree(index, twin, copy_function=os.link)
    update_settings(twin, synonyms=rules)
    twin_store = IndexStore(twin)
    applies = [bool(search(twin_store, SearchRequest(q=q["q"], filters={k: list(v) for k, v in q["filters"].items()},
                                                     debug=True))["debug"]["synonyms"]) for q in mix]
    expanded = sum(applies)
    with_rules, without_rules, with_expanded, without_expanded = [], [], [], []
    for q in mix[:20]:
        run_search(q, twin_store)
    for r in range(args.rounds):
        for q, applied in zip(mix, applies):
            with_rules.append(run_search(q, twin_store))
            without_rules.append(run_search(q))
            if applied:
                with_expanded.append(with_rules[-1])
                without_expanded.append(without_rules[-1])
    shutil.rmtree(twin)

    figures = {
        "articles": generation.articles, "queries": len(mix), "related_asked": len(related_all),
        "search_ms": {"p50": pct(searches, 50), "p95": pct(searches, 95)},
        "related_ms": {"p50": pct(related_all, 50), "p95": pct(related_all, 95)},
        "related_first_ms": {"p50": pct(related_first, 50), "p95": pct(related_first, 95)},
        "related_again_ms": {"p50": pct(related_again, 50), "p95": pct(related_again, 95)},
        "synonym_rules": len(rules), "queries_expanded": expanded,
        "search_with_synonyms_ms": {"p50": pct(with_rules, 50), "p95": pct(with_rules, 95)},
        "search_without_synonyms_ms": {"p50": pct(without_rules, 50), "p95": pct(without_rules, 95)},
        "expanded_with_synonyms_ms": {"p50": pct(with_expanded, 50), "p95": pct(with_expanded, 95)},
        "expanded_without_synonyms_ms": {"p50": pct(without_expanded, 50), "p95": pct(without_expanded, 95)},
    }
    figures["related_over_search_p50"] = figures["related_ms"]["p50"] / figures["search_ms"]["p50"]
    figures["synonyms_over_plain_p50"] = (figures["search_with_synonyms_ms"]["p50"]
                                          / figures["search_without_synonyms_ms"]["p50"])
    (OUT / f"related-{label}.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")

    f = figures
    print(f"""| {label} ({f['articles']} articles), one process | p50 ms | p95 ms |
|---|---:|---:|
| search, the benchmark's mix ({f['queries']} queries) | {_ms(f['search_ms']['p50'])} | {_ms(f['search_ms']['p95'])} |
| related articles (limit 5), all asks ({f['related_asked']}) | {_ms(f['related_ms']['p50'])} | {_ms(f['related_ms']['p95'])} |
| related, first ask of an article | {_ms(f['related_first_ms']['p50'])} | {_ms(f['related_first_ms']['p95'])} |
| related, asked again (caches warm) | {_ms(f['related_again_ms']['p50'])} | {_ms(f['related_again_ms']['p95'])} |
| search with {f['synonym_rules']} synonym rules ({f['queries_expanded']} of {f['queries']} queries expanded) | {_ms(f['search_with_synonyms_ms']['p50'])} | {_ms(f['search_with_synonyms_ms']['p95'])} |
| the same searches without rules, same rounds | {_ms(f['search_without_synonyms_ms']['p50'])} | {_ms(f['search_without_synonyms_ms']['p95'])} |
| the {f['queries_expanded']} expanded queries, with their rules | {_ms(f['expanded_with_synonyms_ms']['p50'])} | {_ms(f['expanded_with_synonyms_ms']['p95'])} |
| the same {f['queries_expanded']} queries without rules | {_ms(f['expanded_without_synonyms_ms']['p50'])} | {_ms(f['expanded_without_synonyms_ms']['p95'])} |

related / search at p50: **{f['related_over_search_p50']:.2f}x**; with synonyms / without at p50: **{f['synonyms_over_plain_p50']:.2f}x**""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
