"""How long a decontamination n-gram must be for Hindi: for each length, the share of training documents that an
unrelated evaluation set would set aside (a false positive is a common phrase, not a quotation), and examples of
what matched. `python -m pipeline.decontaminate.measure --eval SET --corpus FILES... [--n 5 8 13]`.
"""

from __future__ import annotations

import argparse
import json
import time

from pipeline.decontaminate.eval_sets import NgramIndex, set_texts
from pipeline.documents import read_documents


def flagged_share(eval_texts: list[str], corpus: list[str], n: int, examples: int = 5) -> dict:
    index = NgramIndex(n)
    index.add("eval", eval_texts)
    matches = [m for text in corpus if (m := index.first_match(text)) is not None]
    return {"n": n, "documents": len(corpus), "flagged": len(matches),
            "flagged_share": round(len(matches) / max(1, len(corpus)), 5),
            "examples": sorted({gram for _, gram in matches})[:examples]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.decontaminate.measure", description=__doc__)
    parser.add_argument("--eval", nargs="+", required=True, help="evaluation set files or folders")
    parser.add_argument("--corpus", nargs="+", required=True, help="training documents unrelated to the set")
    parser.add_argument("--n", nargs="+", type=int, default=[5, 6, 8, 10, 13])
    args = parser.parse_args(argv)
    eval_texts = [text for path in args.eval for text in set_texts(path)]
    corpus = [doc.text for doc in read_documents(args.corpus)]
    for n in args.n:
        started = time.time()
        row = flagged_share(eval_texts, corpus, n)
        print(json.dumps(row | {"seconds": round(time.time() - started, 1)}, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
