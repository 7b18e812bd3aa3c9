"""LeanFilter books its documents as datatrove's BaseFilter does, at less cost, filtering them in batches; the memos
that carry a text's values from one filter to the next."""

from __future__ import annotations

import gzip
import json

import pytest
from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from pipeline.lean_filter import LeanFilter
from pipeline.stage_writers import stage_writer


class _Rules:
    """Keeps texts without "x"; drops those with "xx" for a reason and those with one "x" without one."""

    name = "rules"

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if "xx" in doc.text:
            return False, "double_x"
        return "x" not in doc.text


class _Stock(_Rules, BaseFilter):
    pass


class _Lean(_Rules, LeanFilter):
    pass


def _docs() -> list[Document]:
    texts = ["नमस्ते दुनिया", "xx", "एक", "x", "दो शब्द", "xx again", "तीन" * 40, "x y"]
    return [Document(text=t, id=str(i), metadata={"token_count": len(t)} if i % 3 else {})
            for i, t in enumerate(texts)]


def _books(step) -> dict:
    """label → MetricStats (total, n, mean, variance, min, max), the step's time left out."""
    return dict(step.stats.stats)


def _rejected(folder) -> list[dict]:
    return [json.loads(line) for path in sorted(folder.glob("*.jsonl.gz")) for line in gzip.open(path, "rt")]


@pytest.fixture(params=[4096, 3], ids=["folded_at_the_end", "folded_every_3"])
def fold_every(request, monkeypatch):
    """The documents noted before the books are folded in: all of them, or a few at a time."""
    monkeypatch.setattr("pipeline.lean_filter.FOLD_EVERY", request.param)
    monkeypatch.setattr("pipeline.stage_writers.FOLD_EVERY", request.param)
    return request.param


@pytest.fixture(params=[128, 3], ids=["one_batch", "batches_of_3"])
def batch(request, monkeypatch):
    """The documents a LeanFilter filters before handing them on: all of them, or a few at a time."""
    monkeypatch.setattr("pipeline.lean_filter.BATCH", request.param)
    return request.param


def test_lean_filter_keeps_writes_and_books_what_base_filter_does(tmp_path, fold_every, batch):
    stock, lean = (_Stock(stage_writer(tmp_path / "stock")), _Lean(stage_writer(tmp_path / "lean")))
    kept_stock = [d.id for d in stock.run(iter(_docs()))]
    kept_lean = [d.id for d in lean.run(iter(_docs()))]
    assert kept_lean == kept_stock == ["0", "2", "4", "6"]
    assert _books(lean) == _books(stock)
    assert _books(lean)["dropped_double_x"].total == 2 and _books(lean)["doc_len_tokens"].n == 2
    assert lean.stats.time_stats.n == len(_docs())  # one timing per document, as with batch_size 1
    assert _rejected(tmp_path / "lean") == _rejected(tmp_path / "stock")
    assert [r["metadata"].get("filter_reason") for r in _rejected(tmp_path / "lean")] == ["double_x", None, "double_x",
                                                                                          None]


def test_books_add_up_over_runs_and_when_reading_stops_early(fold_every, batch):
    """Reading stops after the second kept document (the third read): LeanFilter has filtered and booked the
    whole batch it took, so its books are BaseFilter's over that many documents."""
    lean = _Lean()
    list(lean.run(iter(_docs())))
    pipeline = lean.run(iter(_docs()))
    assert [next(pipeline).id, next(pipeline).id] == ["0", "2"]
    pipeline.close()
    filtered = max(3, min(batch, len(_docs())))
    stock = _Stock()
    list(stock.run(iter(_docs())))
    list(stock.run(iter(_docs()[:filtered])))
    assert _books(lean) == _books(stock)
    assert _books(lean)["total"].total == len(_docs()) + filtered


def test_a_chain_of_lean_filters_runs_each_over_a_batch_before_the_next(monkeypatch):
    monkeypatch.setattr("pipeline.lean_filter.BATCH", 3)
    calls = []

    class Noting(LeanFilter):
        def __init__(self, name):
            super().__init__()
            self.name = name

        def filter(self, doc):
            calls.append((self.name, doc.id))
            return doc.id != "1"

    first, second = Noting("first"), Noting("second")
    assert [d.id for d in second.run(first.run(iter(_docs())))] == ["0", "2", "3", "4", "5", "6", "7"]
    assert calls[:6] == [("first", "0"), ("first", "1"), ("first", "2"), ("first", "3"), ("first", "4"),
                         ("first", "5")]  # the second's first batch needs two of the first's: "1" went
    assert calls[6:9] == [("second", "0"), ("second", "2"), ("second", "3")]


def test_a_text_memo_remembers_the_very_same_string_and_forgets_the_oldest():
    from pipeline.lean_filter import BATCH
    from pipeline.text_memo import MEMO_SIZE, TextMemo

    assert MEMO_SIZE >= 4 * BATCH
    memo = TextMemo(size=2)
    a, b, c = "".join(["क", "ख"]), "".join(["क", "ख"]), "ग" * 3  # a == b, but not the same string
    worked_out = []
    assert memo.of(a, lambda t: worked_out.append(t) or len(worked_out)) == 1
    assert memo.of(a, len) == 1 and memo.get(b) is None and memo.of(b, len) == 2
    memo.put(c, 3)  # the third text: a, the oldest, goes
    assert memo.get(a) is None and memo.get(b) == 2 and memo.get(c) == 3 and worked_out == [a]


def test_the_stage_writer_writes_and_books_what_jsonl_writer_does(tmp_path, fold_every):
    from datatrove.pipeline.writers import JsonlWriter

    from pipeline.stage_writers import text_record

    stock = JsonlWriter(str(tmp_path / "stock"), output_filename="${rank}.jsonl.gz", adapter=text_record)
    ours = stage_writer(tmp_path / "ours")
    for writer in (stock, ours):
        for rank in (0, 3):  # two tasks one after the other in one worker
            assert [d.id for d in writer.run(iter(_docs()), rank=rank)] == [d.id for d in _docs()]
    assert _books(ours) == _books(stock)
    assert _books(ours)["XXXXX.jsonl.gz"].total == 2 * len(_docs()) and ours.stats.time_stats.n == 2 * len(_docs())
    for name in ("00000.jsonl.gz", "00003.jsonl.gz"):
        assert gzip.open(tmp_path / "ours" / name).read() == gzip.open(tmp_path / "stock" / name).read()


def test_counts_and_values_fold_in_as_datatroves_updates_do():
    from datatrove.utils.stats import MetricStats

    from pipeline.lean_filter import add_ones, add_values

    for before in ([], [1, 1], [3, 1, 7], [1]):
        for count in (0, 1, 5):
            stock, ours, ours_values = MetricStats(), MetricStats(), MetricStats()
            for x in before + [1] * count:
                stock.update(x)
            add_values(ours, before)
            add_ones(ours, count)
            add_values(ours_values, before + [1] * count)
            assert ours == stock == ours_values, (before, count)
