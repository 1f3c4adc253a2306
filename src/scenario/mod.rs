//! The scenario model of `firedrill run`: a strict YAML file naming the service under test, its
//! dependencies, the load, a timeline of faults and recoveries, and the targets to meet.
//!
//! Loading is two passes: yaml_serde into typed structs (unknown fields denied, durations, rates
//! and bounds parsed once), then semantic checks that serde cannot do. Every problem carries the
//! file, line and column; [`ScenarioError`] lists them all.

mod check;
mod error;
mod locate;
mod model;
pub mod values;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::{Diagnostic, ScenarioError};
pub use locate::Pos;
pub use model::*;
pub use values::{Bound, EnvValue};

pub use crate::measure::Phase;

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ScenarioError::Io {
            path: path.to_owned(),
            source,
        })?;
        let text = error::check_text(&bytes).map_err(|d| ScenarioError::Invalid {
            path: path.to_owned(),
            diagnostics: vec![d],
        })?;
        Scenario::from_str(text, path)
    }

    /// Parses and checks scenario text; `path` is used in messages and kept in [`Scenario::path`].
    pub fn from_str(text: &str, path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path: PathBuf = path.as_ref().to_owned();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let invalid = |diagnostics| ScenarioError::Invalid {
            path: path.clone(),
            diagnostics,
        };
        let index = locate::Index::new(text);
        if index.root.is_none() {
            return Err(invalid(vec![Diagnostic::new(
                None,
                "the file is empty: a scenario needs at least `name`, `compression`, `service` and `workload`",
            )]));
        }
        let mut scenario: Scenario = yaml_serde::from_str(text).map_err(|e| {
            invalid(vec![error::from_yaml(&e, text, &index, |p| {
                failing_step(text, p)
            })])
        })?;
        let diagnostics = check::check(&scenario, &index);
        if !diagnostics.is_empty() {
            return Err(invalid(diagnostics));
        }
        scenario.path = path;
        Ok(scenario)
    }

    /// The faults of the timeline (not its `heal` and `restore` steps).
    pub fn faults(&self) -> impl Iterator<Item = &Step> {
        self.timeline.iter().filter(|s| s.is_fault())
    }

    /// Timeline indexes of the faults a `heal` step's `fault` names (its id, or its kind).
    pub fn faults_named(&self, name: &str) -> Vec<usize> {
        self.timeline
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_fault() && s.name() == name)
            .map(|(i, _)| i)
            .collect()
    }

    /// When the fault at timeline index `i` ends: after its `for`, at its `heal` step, or (for
    /// `destroy-database`) when the `restore` starts. `None` if nothing ends it.
    pub fn fault_end(&self, i: usize) -> Option<Duration> {
        let fault = self.timeline.get(i).filter(|s| s.is_fault())?;
        if let Some(d) = fault.duration() {
            return Some(fault.at() + d);
        }
        self.timeline.iter().find_map(|step| match step {
            Step::Heal(h) if h.at > fault.at() && self.faults_named(&h.fault) == [i] => Some(h.at),
            Step::Restore(r)
                if matches!(fault, Step::DestroyDatabase(f) if f.service == r.service)
                    && r.at > fault.at() =>
            {
                Some(r.at)
            }
            _ => None,
        })
    }

    /// A fault that nothing ends, if any.
    pub fn unended_fault(&self) -> Option<&Step> {
        self.timeline
            .iter()
            .enumerate()
            .find(|(i, s)| s.is_fault() && self.fault_end(*i).is_none())
            .map(|(_, s)| s)
    }

    /// When the first fault starts, from the start of the load.
    pub fn fault_start(&self) -> Option<Duration> {
        self.faults().map(Step::at).min()
    }

    /// When the last fault ends — the moment recovery starts and the RTO clock runs from.
    /// `None` without faults, or when some fault never ends.
    pub fn recovery_start(&self) -> Option<Duration> {
        let ends: Option<Vec<Duration>> = self
            .timeline
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_fault())
            .map(|(i, _)| self.fault_end(i))
            .collect();
        ends?.into_iter().max()
    }

    /// The phase an offset from the start of the load falls in, by the plan: `before` until the
    /// first fault, `during` until the last fault ends, `after` to the end. (A measured result
    /// moves the during/after boundary to the observed recovery point.)
    pub fn phase_at(&self, offset: Duration) -> Phase {
        match self.fault_start() {
            None => Phase::Before,
            Some(start) if offset < start => Phase::Before,
            Some(_) => match self.recovery_start() {
                Some(end) if offset >= end => Phase::After,
                _ => Phase::During,
            },
        }
    }

    /// The phases the plan has, each with its window; empty phases are left out.
    pub fn phases(&self) -> Vec<(Phase, Range<Duration>)> {
        let end = self.workload.duration;
        let Some(start) = self.fault_start() else {
            return vec![(Phase::Before, Duration::ZERO..end)];
        };
        let start = start.min(end);
        let recovered = self.recovery_start().unwrap_or(end).clamp(start, end);
        [
            (Phase::Before, Duration::ZERO..start),
            (Phase::During, start..recovered),
            (Phase::After, recovered..end),
        ]
        .into_iter()
        .filter(|(_, r)| r.start < r.end)
        .collect()
    }

    pub fn has_phase(&self, phase: Phase) -> bool {
        self.phases().iter().any(|(p, _)| *p == phase)
    }

    /// The dependency a step acts on.
    pub fn dependency(&self, name: &str) -> Option<&Dependency> {
        self.services.get(name)
    }
}

/// Which timeline step fails to parse. serde buffers internally tagged enums, so yaml_serde
/// reports their errors at the `timeline` sequence; re-reading each step alone finds the one.
fn failing_step(text: &str, path: &str) -> Option<usize> {
    if path != "timeline" {
        return None;
    }
    let doc: yaml_serde::Value = yaml_serde::from_str(text).ok()?;
    let steps = doc.get("timeline")?.as_sequence()?;
    steps
        .iter()
        .position(|step| yaml_serde::from_value::<Step>(step.clone()).is_err())
}

/// The JSON Schema of the scenario format, for editors (`# yaml-language-server: $schema=...`).
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<Scenario>();
    let mut value = schema.to_value();
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "description".into(),
            serde_json::Value::String(
                "A firedrill drill scenario: the service under test, its dependencies, an open-model load, a timeline of faults and recoveries, and the targets to meet. Durations (`15s`), rates (`200/s`) and bounds (`< 1%`) are strings.".into(),
            ),
        );
    }
    value
}
