//! The compaction figures (lock hold, throughput) and the pipeline's timing boundary.

use racecheck::{BackendKind, Check};
use racecheck_models::compaction::{Config, Protocol};
use racecheck_models::pipeline::{self, Variant};
use racecheck_scenarios::compaction::{figures, figures_table};
use std::time::Duration;

#[test]
fn the_split_upload_holds_the_lock_for_a_fraction_of_the_as_built_hold() {
    for n in 1..=3 {
        let built = figures(Config::new(Protocol::UploadUnderLock, n), 1).unwrap();
        let split = figures(Config::new(Protocol::SplitUpload, n), 1).unwrap();
        assert_eq!((built.compactions, split.compactions), (n, n));
        // The seed: 2–5 s held as built; ~150 ms (plus phase 1's validation) split.
        assert!(built.longest_hold >= Duration::from_secs(2), "{built:?}");
        assert!(
            split.longest_hold <= Duration::from_millis(200),
            "{split:?}"
        );
        assert!(split.hold_per_compaction * 5 < built.hold_per_compaction);
        assert_eq!(split.stats.orphans, 0);
        assert_eq!(split.stats.cleaned, split.stats.uploads - n as u64);
    }
    println!("{}", figures_table(3));
}

#[test]
fn the_unsafe_variants_lose_an_update_with_two_compactors() {
    for p in [Protocol::NoCas, Protocol::SplitUploadNoFinalCas] {
        assert!(figures(Config::new(p, 1), 1).is_ok(), "{p:?} alone");
        let e = figures(Config::new(p, 2), 1).unwrap_err();
        assert!(e.contains("lost update"), "{p:?}: {e}");
    }
}

/// Seed 002's claim over a grid of timings: the metadata correction is lost exactly when the
/// delta merge has not published before the metadata compaction reads the pointer.
#[test]
fn the_pipeline_race_depends_on_the_merge_outlasting_validation() {
    let mut broken = Vec::new();
    for merge in [4u64, 20, 30, 60] {
        for validation in [20u64, 25, 30] {
            for variant in [Variant::AsBuilt, Variant::MergeReadsMetadata] {
                // One value each: a fixed point of the grid (the variants choose among several).
                let one = |s: u64| -> &'static [Duration] {
                    Box::leak(vec![Duration::from_secs(s)].into_boxed_slice())
                };
                let cfg = pipeline::Config {
                    delta_merge: one(merge),
                    validation: one(validation),
                    ..pipeline::Config::seed_ranges(variant)
                };
                let r = Check::new(move || pipeline::run(&cfg))
                    .backend(BackendKind::Pct)
                    .executions(50)
                    .seed(1)
                    .run();
                if r.failure.is_some() {
                    broken.push((variant, merge, validation));
                }
            }
        }
    }
    println!("broken (variant, merge s, validation s): {broken:?}");
    assert!(broken.iter().all(|b| b.0 == Variant::AsBuilt), "{broken:?}");
    assert!(broken.contains(&(Variant::AsBuilt, 60, 30)));
    assert!(!broken.contains(&(Variant::AsBuilt, 4, 25)));
}
