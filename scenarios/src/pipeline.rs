//! `pipeline`: seed 002's receipt pipeline (upload, stream, queue, compaction workers,
//! validation's metadata correction) and its authors' "No race condition" claim.

use racecheck::{Expect, OutcomeKind, Scenario};
use racecheck_models::pipeline::{run, Config, Variant};

pub fn scenario() -> Scenario {
    Scenario::new(
        "pipeline",
        "seed 002: delta merge and metadata compaction from an unordered queue, 2 workers",
    )
    .variant(
        "as-built",
        "validation 20-30 s after the upload, a merge of 3.5 s or 60 s (chosen): when the merge \
         is slow, the metadata update hits no ids and the merge's retry re-adds the old metadata",
        Expect::Fail(OutcomeKind::Invariant),
        || run(&Config::seed_ranges(Variant::AsBuilt)),
    )
    .variant(
        "as-built-quick-merge",
        "as built with a 3.5 s merge and validation 20-30 s later (chosen): the merge publishes first",
        Expect::Pass,
        || run(&Config::quick_merge(Variant::AsBuilt)),
    )
    .variant(
        "merge-reads-metadata",
        "fix: the delta merge stamps the current ReceiptMetadata (every merge and validation time)",
        Expect::Pass,
        || run(&Config::seed_ranges(Variant::MergeReadsMetadata)),
    )
    .loom_bound(
        "as-built-quick-merge",
        2,
        "over the 3 validation times: bound 3: not found in 100,000 executions \
         (`racecheck check pipeline --variant as-built-quick-merge --backend loom \
         --preemption-bound 3 --time-limit 120`); bound 2: 7,848 executions, 3.1 s",
    )
    .loom_bound(
        "merge-reads-metadata",
        2,
        "over the 6 merge and validation times: bound 3: not found in 100,000 executions, 48 s \
         (`racecheck check pipeline --variant merge-reads-metadata --backend loom \
         --preemption-bound 3 --time-limit 120`); bound 2: 11,652 executions, 6.7 s",
    )
    .expect_failure("as-built", "word ")
}
