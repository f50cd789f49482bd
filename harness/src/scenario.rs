//! Scenarios: a model, its workload and invariant, and what each variant must end in.

use crate::backend::Body;
use crate::outcome::Expect;
use std::sync::Arc;

/// One system under test, registered by name (e.g. `lock_manager`), with its variants.
#[derive(Clone)]
pub struct Scenario {
    pub name: &'static str,
    pub about: &'static str,
    pub variants: Vec<Variant>,
}

/// A bug or a fix of a scenario: the body one execution runs, and the outcome it must give.
#[derive(Clone)]
pub struct Variant {
    pub name: &'static str,
    pub about: &'static str,
    pub expect: Expect,
    pub(crate) body: Body,
}

impl Scenario {
    pub fn new(name: &'static str, about: &'static str) -> Self {
        Scenario {
            name,
            about,
            variants: Vec::new(),
        }
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
        });
        self
    }

    pub fn find_variant(&self, name: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.name == name)
    }
}

impl Variant {
    /// A check of this variant, to configure and run.
    pub fn check(&self) -> crate::Check {
        crate::Check::from_body(self.body.clone())
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

    pub fn find(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.name == name)
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
