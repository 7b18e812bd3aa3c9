"""Stage 03_dedup: exact duplicates (hash of the text up to case, whitespace and punctuation), then near duplicates
(datatrove's MinHash, numbers ignored).

Phases, each a datatrove run that Slurm or Ray can fan out (README "Scaling out" gives task counts):
  exact_hashes (tasks)  read → ExactHashes                     minhash/exact/hashes/<partition>/<task>.tsv
  exact_groups (tasks)  ExactGroups, one hash partition each   minhash/exact/decisions/<task>/<partition>.tsv
  signatures (tasks)    read → DropExactDuplicates → HindiMinhashSignature   (copies → removed/exact/)
  buckets (num_buckets) HindiMinhashBuckets (datatrove's pairs, merged with numpy)
  clusters (1)          MinhashDedupCluster (cluster ids and sizes)
  filter (tasks)        read → DropExactDuplicates → MinhashDedupFilter → RehydrationWeight → output
                        (near duplicates → removed/near/; this phase's logs are the stage's books)
"""

from __future__ import annotations

from datatrove.pipeline.dedup.minhash import MinhashDedupCluster, MinhashDedupFilter
from datatrove.pipeline.readers import JsonlReader

from pipeline.dedup.buckets import HindiMinhashBuckets
from pipeline.dedup.signatures import HindiMinhashSignature
from pipeline.dedup.steps import (
    NEAR_DUPLICATE,
    DedupConfig,
    DropExactDuplicates,
    ExactGroups,
    ExactHashes,
    RehydrationWeight,
)
from pipeline.phase import Phase
from pipeline.stage_writers import stage_writer
from pipeline.workdir import StagePaths

DEDUP_NOTES = {
    "s_curve": True,
    "languages": "As the previous stage.",
    "personal_information": "Not redacted at this stage (04_pii follows).",
    "limitations": [
        "Near duplicates are found on word 5-grams with 40 buckets of 4 hashes: a pair at Jaccard 0.5 is caught "
        "with probability 0.92, at 0.3 with 0.28 (see the S-curve), so two texts sharing a long wire story can "
        "be merged.",
        "Exact means the same text up to case, whitespace and punctuation; pages that differ only in their "
        "numbers (year pages, timetables) are near duplicates, found by MinHash with numbers mapped to 0.",
        "The kept copy of a cluster is datatrove's choice (the cluster's root), not the longest or best one.",
        "`duplicate_cluster_size` adds the keeper's own exact copies to its MinHash cluster size; exact copies of "
        "the other cluster members are not added.",
        "MinHash clustering (datatrove's union-find) runs on one task: it holds one entry per document that has a "
        "near-duplicate pair (tens of bytes each).",
    ],
}


def build_dedup(settings: DedupConfig, paths: StagePaths, previous: StagePaths) -> list[Phase]:
    minhash = settings.minhash()
    work = paths.root / "minhash"
    exact, sigs, buckets, clusters = (str(work / name) for name in ("exact", "signatures", "buckets", "clusters"))

    def read():
        return JsonlReader(str(previous.output), glob_pattern="*.jsonl.gz")

    return [
        Phase("exact_hashes", [read(), ExactHashes(exact)]),
        # as many partitions as exact_hashes had tasks: memory per task falls with the task count
        Phase("exact_groups", [ExactGroups(exact)]),
        Phase(
            "signatures",
            [
                read(),
                DropExactDuplicates(exact, stage_writer(paths.removed / "exact")),
                HindiMinhashSignature(sigs, config=minhash, language="hin_Deva"),
            ],
        ),
        Phase("buckets", [HindiMinhashBuckets(sigs, buckets, config=minhash)], tasks=minhash.num_buckets),
        Phase(
            "clusters",
            [MinhashDedupCluster(buckets, clusters, config=minhash, save_cluster_id=True, save_cluster_size=True)],
            tasks=1,
        ),
        Phase(
            "filter",
            [
                read(),
                DropExactDuplicates(exact),  # the same decisions; phase "signatures" wrote the copies aside
                MinhashDedupFilter(
                    clusters,
                    exclusion_writer=stage_writer(paths.removed / "near", reason=NEAR_DUPLICATE),
                    load_cluster_ids=True,
                    load_cluster_sizes=True,
                ),
                RehydrationWeight(settings),
                stage_writer(paths.output),
            ],
        ),
    ]
