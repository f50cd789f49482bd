//! Scenarios: a model, its workload and invariant, and what each variant must end in.

use crate::backend::Body;
use crate::check::{BackendKind, Failure};
use crate::outcome::{Expect, Outcome, OutcomeKind};
use crate::shrink::{shrink, ShrinkBudget, Shrunk};
use std::sync::Arc;

/// One system under test, registered by name (e.g. `lock_manager`), with its variants.
#[derive(Clone)]
pub struct Scenario {
    pub name: &'static str,
    pub about: &'static str,
    pub variants: Vec<Variant>,
    /// Run only when named (`racecheck check demo`), never by a check of everything: the demo
    /// suite, whose programs exist to measure schedulers, not to be checked on every run.
    pub opt_in: bool,
}

/// A bug or a fix of a scenario: the body one execution runs, and the outcome it must give.
#[derive(Clone)]
pub struct Variant {
    pub name: &'static str,
    pub about: &'static str,
    pub expect: Expect,
    pub(crate) body: Body,
    /// Backends known not to reach this variant's bug within a default budget, and why: for
    /// them "not found" is expected too (and reported as such), never "verified".
    pub beyond_reach: Vec<(BackendKind, &'static str)>,
    /// loom's preemption bound for this variant, where its space is too large unbounded: the
    /// largest that finishes, and why (a check given no bound of its own uses it).
    pub loom_bound: Option<(usize, &'static str)>,
    /// Which failure a bug variant expects, beyond its kind: the fixed prefix of an invariant's
    /// (or panic's) message, or a part of a deadlock's description. A failure of the right kind
    /// that does not match is a different failure, and does not meet the expectation.
    pub expect_failure: Option<&'static str>,
}

impl Scenario {
    pub fn new(name: &'static str, about: &'static str) -> Self {
        Scenario {
            name,
            about,
            variants: Vec::new(),
            opt_in: false,
        }
    }

    /// Run this scenario only when it is named (see [`Scenario::opt_in`]).
    pub fn only_when_named(mut self) -> Self {
        self.opt_in = true;
        self
    }

    /// Add a variant whose every execution runs `body` and must end as `expect` says.
    pub fn variant(
        mut self,
        name: &'static str,
        about: &'static str,
        expect: Expect,
        body: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        self.variants.push(Variant {
            name,
            about,
            expect,
            body: Arc::new(body),
            beyond_reach: Vec::new(),
            loom_bound: None,
            expect_failure: None,
        });
        self
    }

    /// Say which failure `variant` expects: its message's fixed prefix (an invariant or a
    /// panic), or a part of the deadlock's description (who waits on what).
    ///
    /// # Panics
    /// If the scenario has no such variant: a catalogue mistake.
    pub fn expect_failure(mut self, variant: &str, pattern: &'static str) -> Self {
        let v = self.variants.iter_mut().find(|v| v.name == variant);
        v.unwrap_or_else(|| panic!("{}: no variant {variant}", self.name))
            .expect_failure = Some(pattern);
        self
    }

    /// Run `variant` under loom at preemption bound `bound` (its verdict then says so), because
    /// unbounded it does not finish: `why` gives the measured figure.
    ///
    /// # Panics
    /// If the scenario has no such variant: a catalogue mistake.
    pub fn loom_bound(mut self, variant: &str, bound: usize, why: &'static str) -> Self {
        let v = self.variants.iter_mut().find(|v| v.name == variant);
        v.unwrap_or_else(|| panic!("{}: no variant {variant}", self.name))
            .loom_bound = Some((bound, why));
        self
    }

    /// Say that `backend` does not reach `variant`'s bug within a default budget, and why.
    ///
    /// # Panics
    /// If the scenario has no such variant: a catalogue mistake.
    pub fn beyond_reach(mut self, variant: &str, backend: BackendKind, why: &'static str) -> Self {
        let v = self.variants.iter_mut().find(|v| v.name == variant);
        v.unwrap_or_else(|| panic!("{}: no variant {variant}", self.name))
            .beyond_reach
            .push((backend, why));
        self
    }

    pub fn find_variant(&self, name: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.name == name)
    }

    /// The variant named `name`, or the error every command gives for a name it lacks.
    pub fn variant_named(&self, name: &str) -> Result<&Variant, UnknownName> {
        self.find_variant(name).ok_or_else(|| UnknownName::Variant {
            scenario: self.name.to_string(),
            name: name.to_string(),
            known: names(self.variants.iter().map(|v| v.name)),
        })
    }
}

/// A scenario or variant name the catalogue does not have, with the names it does: one message
/// for every command that takes a name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnknownName {
    #[error("unknown scenario `{name}` (known: {known})")]
    Scenario { name: String, known: String },
    #[error("`{scenario}` has no variant `{name}` (it has: {known})")]
    Variant {
        scenario: String,
        name: String,
        known: String,
    },
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

impl Variant {
    /// Shrink a failure a check of this variant found (see [`crate::shrink`]).
    pub fn shrink_failure(&self, failure: &Failure, budget: ShrinkBudget) -> Shrunk {
        shrink(&self.body, &failure.outcome, &failure.trace, budget)
    }

    /// This variant's fingerprint (see [`crate::replayable::model_fingerprint`]).
    pub fn fingerprint(&self) -> String {
        crate::replayable::model_fingerprint(&self.body)
    }

    /// Whether a check under `backend` that found `found` ended as this variant expects.
    pub fn is_met_by(&self, backend: BackendKind, found: Option<OutcomeKind>) -> bool {
        self.expect.is_met_by(found) || (found.is_none() && self.is_beyond_reach(backend))
    }

    /// Whether a check under `backend` that found `found` (its first failure's outcome) ended as
    /// this variant expects: the kind, and the failure it names if it names one.
    pub fn is_met_by_outcome(&self, backend: BackendKind, found: Option<&Outcome>) -> bool {
        self.is_met_by(backend, found.map(Outcome::kind))
            && !found.is_some_and(|o| self.is_different_failure(o))
    }

    /// A failure of the expected kind that is not the one this variant names (a different
    /// invariant, another deadlock): found, but not the bug the variant is about.
    pub fn is_different_failure(&self, found: &Outcome) -> bool {
        let Some(pattern) = self.expect_failure else {
            return false;
        };
        let matches = match found {
            Outcome::Invariant { message, .. } | Outcome::Panic { message, .. } => {
                message.starts_with(pattern)
            }
            other => other.to_string().contains(pattern),
        };
        self.expect == Expect::Fail(found.kind()) && !matches
    }

    /// Why `backend` is known not to reach this variant's bug, if it is.
    pub fn is_beyond_reach(&self, backend: BackendKind) -> bool {
        self.beyond_reach.iter().any(|(b, _)| *b == backend)
    }

    /// The executions a check of this variant gets under `backend` unless told otherwise: what
    /// a check must spend to mean something, counted, never timed.
    ///
    /// - loom explores until the space is exhausted (a fix's proof) or the first failure; the
    ///   cap only stops a space that grew by mistake, and says "not found" if hit.
    /// - A bug: DFS 20,000, random and PCT 10,000, real threads 1,000, each stopping at the first
    ///   failure (every catalogue bug is found within these by a wide margin:
    ///   reports/BENCHMARKS.md; real threads with chaos in 1–2 runs).
    /// - A fix: random and PCT 2,000, DFS 2,000, real threads 100. loom is the proof; these
    ///   are a stated budget in which the other backends must not refute it. The portfolio
    ///   1,000 (its members' turns add to what random and PCT spend alone), URW, POS and
    ///   reads-from 2,000.
    /// - A bug under the other seeded schedulers (portfolio, URW, POS, reads-from): 10,000.
    pub fn default_executions(&self, backend: BackendKind) -> u64 {
        use BackendKind::*;
        match (backend, self.expect) {
            (Loom, _) => 100_000,
            (Dfs, Expect::Fail(_)) => 20_000,
            (Random | Pct, Expect::Fail(_)) => 10_000,
            (Threads, Expect::Fail(_)) => 1_000,
            (Threads, Expect::Pass) => 100,
            (Portfolio, Expect::Pass) => 1_000,
            (Dfs | Random | Pct | Urw | Pos | ReadsFrom, Expect::Pass) => 2_000,
            (Portfolio | Urw | Pos | ReadsFrom, Expect::Fail(_)) => 10_000,
        }
    }

    /// A check of this variant, to configure and run: under loom at the variant's bound, if
    /// it has one (a later `preemption_bound` call overrides it).
    pub fn check(&self) -> crate::Check {
        crate::Check::from_body(self.body.clone()).preemption_bound(self.loom_bound.map(|b| b.0))
    }
}

impl std::fmt::Debug for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variant")
            .field("name", &self.name)
            .field("expect", &self.expect)
            .finish()
    }
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("variants", &self.variants)
            .finish()
    }
}

/// Every scenario a binary knows, by name.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    pub scenarios: Vec<Scenario>,
}

impl Catalogue {
    pub fn new(scenarios: Vec<Scenario>) -> Self {
        Catalogue { scenarios }
    }

    /// What a run of everything runs: every scenario but the opt-in ones.
    pub fn everything(&self) -> impl Iterator<Item = &Scenario> {
        self.scenarios.iter().filter(|s| !s.opt_in)
    }

    pub fn find(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.name == name)
    }

    /// The scenario named `name`, or the error every command gives for a name it lacks.
    pub fn scenario_named(&self, name: &str) -> Result<&Scenario, UnknownName> {
        self.find(name).ok_or_else(|| self.unknown(name))
    }

    /// [`select`](Self::select), or the unknown-name error when it selects nothing.
    pub fn select_some(&self, name: &str) -> Result<Vec<&Scenario>, UnknownName> {
        let found = self.select(name);
        if found.is_empty() {
            return Err(self.unknown(name));
        }
        Ok(found)
    }

    fn unknown(&self, name: &str) -> UnknownName {
        UnknownName::Scenario {
            name: name.to_string(),
            known: names(self.scenarios.iter().map(|s| s.name)),
        }
    }

    /// The scenarios a name selects: itself, or every `name.…` below it (`sqlite` selects
    /// `sqlite.ticket_lease`).
    pub fn select(&self, name: &str) -> Vec<&Scenario> {
        let prefix = format!("{name}.");
        self.scenarios
            .iter()
            .filter(|s| s.name == name || s.name.starts_with(&prefix))
            .collect()
    }
}
