"""datatrove's BaseFilter with its books kept at less cost per document, over batches of documents
(pipeline/stage_writers.py keeps a writer's books the same way).

BaseFilter.run updates three or four running statistics per document (`total`, `forwarded` or `dropped` and its
reason, `doc_len`, the step's time), each a method call that recomputes a mean and a variance: on 02_filter's
eight filters that cost as much as a filter. LeanFilter notes the same values per document in plain counters and
lists and folds them into the same statistics, in the same order and with the same arithmetic, every FOLD_EVERY
documents and when its documents run out, so stats.json holds what BaseFilter would have written.

It also filters BATCH documents before it hands the first on, where BaseFilter hands each on at once: a chain of
filters then runs each filter's code and tables (lid.176's, the word tables) over a batch while they are in the
processor's caches, not one document through all eight: 02_filter costs about 15% less CPU (docs/benchmarks.md).
Every filter sees the documents in the same order as before; what one step works out for the next travels in
pipeline/text_memo.py's memos, which hold a few batches.
"""

from __future__ import annotations

import contextlib
import time
from itertools import islice

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.utils.stats import MetricStats, Stats
from datatrove.utils.typeshelper import StatHints

FOLD_EVERY = 4096  # documents noted before they are folded into the stats, so that a task's memory stays flat
# Documents filtered before the first is handed on. 02_filter on the corpus against 1: 32–64 5–8% less CPU,
# 128 14–18%, 1,024 17–20% with 130 MB more memory.
BATCH = 128


def add_values(stats: MetricStats, values: list[float]) -> None:
    """`stats.update(x)` for each x in turn (datatrove's Welford update), with the fields in local variables."""
    total, n, mean, low, high, variance = (stats.total, stats.n, stats.mean, stats.min, stats.max,
                                           stats._running_variance)
    for x in values:
        total += x
        n += 1
        low, high = min(low, x), max(high, x)
        delta = x - mean
        mean += delta / n
        if n > 1:
            variance += delta * (x - mean)
    stats.total, stats.n, stats.mean, stats.min, stats.max, stats._running_variance = (total, n, mean, low, high,
                                                                                        variance)


def add_ones(stats: MetricStats, count: int) -> None:
    """`stats.update(1)` `count` times (a count of documents). While every value so far is 1, Welford's update
    leaves the mean at exactly 1.0 and the variance at 0.0, so the result is written at once."""
    if stats.n == 0 or (stats.mean == 1 and stats._running_variance == 0 and stats.min == stats.max == 1):
        if count:
            stats.total, stats.n, stats.mean, stats.min, stats.max = stats.total + count, stats.n + count, 1.0, 1, 1
    else:
        add_values(stats, [1] * count)


def add_doc_stats(stats: Stats, lengths: list[int], tokens: list[int]) -> None:
    """datatrove's `update_doc_stats` for documents passed on: `doc_len`, and `doc_len_tokens` where a document
    carried a token count."""
    if lengths:
        add_values(stats["doc_len"], lengths)
    if tokens:
        add_values(stats["doc_len_tokens"], tokens)


def add_times(stats: Stats, seconds: list[float]) -> None:
    """`with step.track_time():` around each of `seconds`, as datatrove's steps time a document."""
    add_values(stats.time_stats, seconds)
    time_stats = stats.time_stats
    if time_stats.n_tasks == 1:  # as TimingStats.update keeps them
        time_stats.global_mean = time_stats.global_min = time_stats.global_max = time_stats.total


class LeanFilter(BaseFilter):
    """A BaseFilter (filter() takes one document) whose run() filters a batch before handing its documents on and
    books them as BaseFilter.run does."""

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if self.batch_size > 1:
            yield from super().run(data, rank, world_size)
            return
        lengths: list[int] = []  # of the documents kept
        tokens: list[int] = []
        seconds: list[float] = []  # one per document
        dropped: dict[str | None, int] = {}  # reason → documents
        first: list[str] = []  # forwarded and dropped in the order they first happened (the order of the books)
        clock = time.perf_counter
        with self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer:
            try:
                documents = iter(data)
                while batch := list(islice(documents, BATCH)):
                    kept = []
                    for doc in batch:
                        if len(seconds) >= FOLD_EVERY:
                            self._book(seconds, first, lengths, tokens, dropped)
                        start = clock()
                        result = self.filter(doc)
                        seconds.append(clock() - start)
                        result, reason = result if isinstance(result, tuple) else (result, None)
                        if result:
                            if not lengths and StatHints.forwarded not in first:
                                first.append(StatHints.forwarded)
                            lengths.append(len(doc.text))
                            if token_count := doc.metadata.get("token_count", None):
                                tokens.append(token_count)
                            kept.append(doc)
                            continue
                        if not dropped and StatHints.dropped not in first:
                            first.append(StatHints.dropped)
                        dropped[reason] = dropped.get(reason, 0) + 1
                        if self.exclusion_writer:
                            if reason:
                                doc.metadata["filter_reason"] = reason
                            writer.write(doc, rank)
                    yield from kept
            finally:  # also when the documents after this step stop being read
                self._book(seconds, first, lengths, tokens, dropped)

    def _book(self, seconds: list[float], first: list[str], lengths: list[int], tokens: list[int],
              dropped: dict[str | None, int]) -> None:
        """Folds the notes into the stats and empties them (`first` stays: the order of the books)."""
        add_times(self.stats, seconds)
        if seconds:
            add_ones(self.stats[StatHints.total], len(seconds))
        for label in first:
            if label == StatHints.forwarded:
                add_ones(self.stats[StatHints.forwarded], len(lengths))
                add_doc_stats(self.stats, lengths, tokens)
            else:
                add_ones(self.stats[StatHints.dropped], sum(dropped.values()))
                for reason, count in dropped.items():
                    if reason:
                        add_ones(self.stats[f"dropped_{reason}"], count)
        for notes in (seconds, lengths, tokens, dropped):
            notes.clear()
