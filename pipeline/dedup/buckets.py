"""datatrove's MinHash bucket phase (duplicate pairs from the signatures of one bucket), the same pairs in the same
order at a fraction of its cost.

datatrove merges the sorted signature files of a bucket through a heap of one Python object per signature and
document (40 buckets: 40 objects per document); here the files are read in blocks of records and merged with
numpy: a block holds every record whose first hash lies below the smallest last-read first hash of the files
still being read, so a run of equal signatures never spans two blocks and memory stays a few blocks per file.
Within a block the records are sorted as the heap pops them (signature, then file, then document) and each
record whose signature equals the one before is written as a pair with it, as datatrove writes them.

tests/test_dedup.py compares the `.dups` files with datatrove's own, byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.dedup.minhash import MinhashDedupBuckets
from datatrove.utils.binaryio import seek_to_start
from datatrove.utils.logging import logger

RECORDS_PER_READ = 1 << 16  # per file and read: 2.4 MB of 36-byte records


class HindiMinhashBuckets(MinhashDedupBuckets):
    """MinhashDedupBuckets for 64-bit signatures without an index, merged with numpy (with an index: datatrove's)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.config.hash_config.precision != 64:
            raise ValueError("HindiMinhashBuckets merges 64-bit signatures only")
        self._hashes = [f"field{i + 1}" for i in range(self.config.hashes_per_bucket)]
        self._record = np.dtype([*((name, "<u8") for name in self._hashes), ("document", "<u4")])

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> None:
        if self.index_folder is not None:
            return super().run(data, rank, world_size)
        assert data is None, "You should not use an input block before MinhashDedupBuckets"
        if world_size % self.config.num_buckets:
            raise ValueError(f"{world_size} tasks: the bucket phase needs a multiple of {self.config.num_buckets}")
        bucket, bucket_worker = divmod(rank, world_size // self.config.num_buckets)
        with self.track_time():
            sig_files = self.input_folder.list_files(subdirectory=f"bucket_{bucket:03d}")
            hash_min, hash_max = self.get_worker_hash_range(sig_files, rank, world_size)
            logger.info(f"Bucket {bucket:03d}, worker {bucket_worker}: hashes [{hash_min}, {hash_max})")
            stems = np.array([int(name.rsplit("/", 1)[-1].removesuffix(".minhash.sig")) for name in sig_files],
                             dtype="<u4")
            sources = [self._reads(name, hash_min, hash_max) for name in sig_files]
            with self.output_folder.open(f"{bucket:05d}_{bucket_worker:02d}.dups", mode="wb") as out:
                for records, files in self._blocks(sources):
                    pairs = self._pairs(records, files, stems)
                    out.write(pairs.tobytes())
                    self.stat_update("total_matches", value=len(pairs))

    def _reads(self, name: str, hash_min: int, hash_max: int) -> Iterator[np.ndarray]:
        """A signature file's records whose first hash lies in [hash_min, hash_max), RECORDS_PER_READ at a time."""
        size = self._record.itemsize
        line_format = f"{self.config.hashes_per_bucket}{self.config.hash_config.struct_format}I"
        with self.input_folder.open(name, mode="rb") as f:
            if f.size % size:
                raise ValueError(f"{name}: {f.size} bytes is not a whole number of {size}-byte signatures")
            if f.size == 0:
                return
            seek_to_start(f, hash_min, line_format, self.config.hash_config.struct_format)
            last = 0
            while chunk := f.read(RECORDS_PER_READ * size):
                records = np.frombuffer(chunk, dtype=self._record)
                first = records["field1"]
                if first[0] < last or (first[1:] < first[:-1]).any():
                    raise ValueError(f"{name}: signatures out of order; rerun the signatures phase")
                last = first[-1]
                end = int(np.searchsorted(first, hash_max))
                yield records[:end]
                if end < len(records):
                    return

    def _blocks(self, sources: list[Iterator[np.ndarray]]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(records, index of the file of each) in blocks holding every record of their first-hash values."""
        empty = np.empty(0, dtype=self._record)
        carry, reading = [empty] * len(sources), [True] * len(sources)

        def read_more(i: int) -> None:
            chunk = next(sources[i], None)
            if chunk is None:
                reading[i] = False
            else:
                carry[i] = np.concatenate([carry[i], chunk]) if len(carry[i]) else chunk

        for i in range(len(sources)):
            read_more(i)
        while any(reading) or any(map(len, carry)):
            for i in range(len(sources)):
                while reading[i] and not len(carry[i]):
                    read_more(i)
            # every record not yet read has a first hash at least its file's last read one
            limits = [carry[i]["field1"][-1] for i in range(len(sources)) if reading[i]]
            bound = min(limits) if limits else None
            cut = [len(c) if bound is None else int(np.searchsorted(c["field1"], bound)) for c in carry]
            taken = [c[:k] for c, k in zip(carry, cut, strict=True)]
            carry = [c[k:] for c, k in zip(carry, cut, strict=True)]
            if any(map(len, taken)):
                files = np.repeat(np.arange(len(taken), dtype=np.int64), [len(t) for t in taken])
                yield np.concatenate(taken), files
            for i in range(len(sources)):
                if reading[i] and bound is not None and carry[i]["field1"][-1] == bound:
                    read_more(i)  # this file set the bound: its next records may share it

    def _pairs(self, records: np.ndarray, files: np.ndarray, stems: np.ndarray) -> np.ndarray:
        """(file stem, document, file stem, document) of each record and the one before it with the same
        signature, in the heap's order: signature, then file, then document."""
        order = np.lexsort([records["document"], files] + [records[name] for name in reversed(self._hashes)])
        records, stems = records[order], stems[files[order]]
        same = np.ones(len(records) - 1 if len(records) else 0, dtype=bool)
        for name in self._hashes:
            same &= records[name][1:] == records[name][:-1]
        later = np.flatnonzero(same) + 1
        pairs = np.empty((len(later), 4), dtype="<u4")
        pairs[:, 0], pairs[:, 1] = stems[later - 1], records["document"][later - 1]
        pairs[:, 2], pairs[:, 3] = stems[later], records["document"][later]
        return pairs
