//! Semantic checks, after the file parsed: what serde cannot see — a fault past the end of the
//! load, weights summing to 0, a target for a phase that cannot exist, a ledgered read, a fault
//! on a service that is not there. Each diagnostic is placed on the key or value at fault.

use std::collections::HashSet;
use std::time::Duration;

use super::error::Diagnostic;
use super::locate::{Index, Pos};
use super::model::{DependencyKind, Scenario, Step};
use super::values::format_duration;
use crate::measure::Phase;

struct Checker<'a> {
    s: &'a Scenario,
    index: &'a Index,
    out: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// The key at `path` (or its nearest ancestor).
    fn key(&self, path: &str) -> Option<Pos> {
        let segs = super::locate::parse_path(path)?;
        self.index.nearest(&segs)
    }

    /// The value at `path` (or the nearest ancestor's key).
    fn value(&self, path: &str) -> Option<Pos> {
        match self.index.find_str(path) {
            Some(f) => Some(f.node.pos()),
            None => self.key(path),
        }
    }

    /// A problem with the key at `path` (or the entry as a whole), prefixed with the path as
    /// parse errors are.
    fn at_key(&mut self, path: &str, message: impl std::fmt::Display) {
        let pos = self.key(path);
        self.out
            .push(Diagnostic::new(pos, format!("{path}: {message}")));
    }

    /// A problem with the value at `path`.
    fn at_value(&mut self, path: &str, message: impl std::fmt::Display) {
        let pos = self.value(path);
        self.out
            .push(Diagnostic::new(pos, format!("{path}: {message}")));
    }
}

fn d(x: Duration) -> String {
    format_duration(x)
}

pub(super) fn check(s: &Scenario, index: &Index) -> Vec<Diagnostic> {
    let mut c = Checker {
        s,
        index,
        out: Vec::new(),
    };
    for (path, pos, first) in index.duplicate_keys() {
        let (parent, key) = match path.rsplit_once('.') {
            Some((parent, key)) => (format!("{parent}: "), key),
            None => (String::new(), path.as_str()),
        };
        let message = format!(
            "{parent}duplicate key `{key}` (first at line {}): only the last one would count",
            first.line
        );
        c.out.push(Diagnostic::new(Some(pos), message));
    }
    top(&mut c);
    services(&mut c);
    backups(&mut c);
    service_under_test(&mut c);
    tls_trust(&mut c);
    workload(&mut c);
    let before = c.out.len();
    timeline(&mut c);
    // Phases and recovery follow from the timeline: with the timeline wrong, checking them too
    // would only repeat its errors.
    let timeline_ok = c.out.len() == before;
    targets(&mut c, timeline_ok);
    claims(&mut c);
    let mut out = c.out;
    out.sort_by_key(|d| d.pos.map(|p| (p.line, p.column)));
    out.dedup();
    out
}

fn top(c: &mut Checker) {
    if c.s.name.trim().is_empty() {
        c.at_value("name", "empty: give the drill a short name");
    }
    let k = c.s.compression;
    if !k.is_finite() || k < 1.0 {
        c.at_value(
            "compression",
            format!("must be at least 1 (1 = real time, 60 = one drill second stands for a production minute), got {k}"),
        );
    }
}

fn is_dns_label(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn services(c: &mut Checker) {
    for (name, dep) in &c.s.services {
        let base = format!("services.{name}");
        if !is_dns_label(name) {
            c.at_key(&base, format!("service name `{name}` is not a DNS name: use lowercase letters, digits and `-`"));
        }
        match (&dep.image, &dep.mock) {
            (Some(_), Some(_)) => c.at_key(&format!("{base}.mock"), format!("`{name}` has both `image` and `mock`: choose one")),
            (None, None) => c.at_key(&base, format!("`{name}` needs `image: ...` (a container) or `mock: {{}}` (firedrill's mock upstream)")),
            (Some(image), None) if image.trim().is_empty() => c.at_value(&format!("{base}.image"), "empty: name a container image"),
            _ => {}
        }
        if dep.mock.is_some() && !dep.env.is_empty() {
            c.at_key(
                &format!("{base}.env"),
                format!("applies to images; the mock upstream `{name}` takes none"),
            );
        }
        if dep.tls && dep.mock.is_none() {
            c.at_key(
                &format!("{base}.tls"),
                "applies to mock upstreams; an image serves its own TLS",
            );
        }
        for key in dep.env.keys() {
            check_env_name(c, &format!("{base}.env.{key}"), key);
        }
    }
}

/// `backup` on a dependency: PostgreSQL only, a dump before the load ends (and before the
/// database it would restore is destroyed), its backup container's name free; a `restore` needs one.
fn backups(c: &mut Checker) {
    let s = c.s;
    for (name, dep) in &s.services {
        let Some(b) = &dep.backup else { continue };
        let base = format!("services.{name}.backup");
        if dep.kind() != DependencyKind::Postgres {
            let is = dep.image.as_ref().map_or("a mock upstream".to_string(), |i| format!("image `{i}`"));
            c.at_key(&base, format!("backups are `pg_dump`s of a PostgreSQL service; `{name}` is {is}"));
            continue;
        }
        let sidecar = format!("{name}{}", crate::faults::backup::SIDECAR_SUFFIX);
        if s.services.contains_key(&sidecar) {
            c.at_key(&base, format!("the backup container is named `{sidecar}`, which `services` already uses: rename that service"));
        }
        if b.every.is_zero() {
            c.at_value(&format!("{base}.every"), "must be longer than 0");
        } else if b.every >= s.workload.duration {
            c.at_value(
                &format!("{base}.every"),
                format!("the first dump would be at {}, not before the end of the load (`workload.duration: {}`)", d(b.every), d(s.workload.duration)),
            );
        } else if let Some(destroy) = s.timeline.iter().find_map(|f| match f {
            Step::DestroyDatabase(x) if x.service == *name => Some(x),
            _ => None,
        }) {
            if b.every >= destroy.at {
                c.at_value(
                    &format!("{base}.every"),
                    format!("the first dump would be at {}, not before `destroy-database` at {}: the restore would have nothing to restore", d(b.every), d(destroy.at)),
                );
            }
        }
    }
    for (i, step) in s.timeline.iter().enumerate() {
        let Step::Restore(r) = step else { continue };
        let destroyed = s.timeline.iter().any(|f| matches!(f, Step::DestroyDatabase(x) if x.service == r.service && x.at < r.at));
        let dep = s.services.get(&r.service);
        if destroyed && dep.is_some_and(|d| d.kind() == DependencyKind::Postgres && d.backup.is_none()) {
            c.at_value(
                &format!("timeline[{i}].service"),
                format!("`restore` of `{}` has nothing to restore from: give `services.{}` a `backup: {{every: 5s}}`", r.service, r.service),
            );
        }
    }
    if s.targets.consistent_restore.is_some() && !s.timeline.iter().any(|f| matches!(f, Step::Restore(_))) {
        c.at_key("targets.consistent_restore", "needs a `restore` step in the timeline");
    }
}

fn check_env_name(c: &mut Checker, path: &str, key: &str) {
    let ok = !key.is_empty()
        && !key.starts_with(|ch: char| ch.is_ascii_digit())
        && key
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
    if !ok {
        c.at_key(
            path,
            format!("`{key}` is not an environment variable name (letters, digits, `_`)"),
        );
    }
}

fn service_under_test(c: &mut Checker) {
    let svc = &c.s.service;
    match (&svc.image, &svc.command) {
        (Some(_), Some(_)) => c.at_key(
            "service.command",
            "`service` has both `image` and `command`: choose one",
        ),
        (None, None) => c.at_key(
            "service",
            "`service` needs `image: ...` or `command: [...]`",
        ),
        (None, Some(cmd)) if cmd.is_empty() || cmd[0].trim().is_empty() => c.at_value(
            "service.command",
            "empty: give the program and its arguments",
        ),
        (Some(image), None) if image.trim().is_empty() => {
            c.at_value("service.image", "empty: name a container image")
        }
        _ => {}
    }
    if svc.port == 0 {
        c.at_value("service.port", "must be 1-65535");
    }
    if let Some(h) = &svc.health {
        if !h.starts_with('/') {
            c.at_value(
                "service.health",
                format!("a URL path starting with `/`, got `{h}`"),
            );
        }
    }
    let mut seen = HashSet::new();
    for (i, defect) in svc.defects.iter().enumerate() {
        if !seen.insert(*defect) {
            c.at_value(
                &format!("service.defects[{i}]"),
                format!("defect `{}` is listed twice", defect.as_str()),
            );
        }
    }
    for key in svc.env.keys() {
        check_env_name(c, &format!("service.env.{key}"), key);
    }
}

/// `{name}` placeholders other than `{id}`.
fn unknown_placeholders(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) => {
                let name = &after[..j];
                if name != "id"
                    && !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                {
                    out.push(name);
                }
                rest = &after[j + 1..];
            }
            None => break,
        }
    }
    out
}

fn workload(c: &mut Checker) {
    let w = &c.s.workload;
    if !(w.rate.per_second.is_finite() && w.rate.per_second > 0.0) {
        c.at_value("workload.rate", "must be more than 0");
    }
    if w.duration.is_zero() {
        c.at_value("workload.duration", "must be longer than 0");
    }
    if w.timeout.is_zero() {
        c.at_value("workload.timeout", "must be longer than 0");
    }
    if w.mix.is_empty() {
        c.at_value("workload.mix", "needs at least one request");
        return;
    }
    if w.mix.iter().map(|r| u64::from(r.weight)).sum::<u64>() == 0 {
        c.at_key(
            "workload.mix",
            "the weights sum to 0: no request would ever be sent",
        );
    }
    let mut names = HashSet::new();
    for (i, r) in w.mix.iter().enumerate() {
        let base = format!("workload.mix[{i}]");
        if !names.insert(r.name.as_str()) {
            c.at_value(
                &format!("{base}.name"),
                format!("request name `{}` is used twice in `mix`", r.name),
            );
        }
        if !r.path.starts_with('/') {
            c.at_value(
                &format!("{base}.path"),
                format!("must start with `/`, got `{}`", r.path),
            );
        }
        for (field, text) in [("path", Some(&r.path)), ("body", r.body.as_ref())] {
            if let Some(text) = text {
                if let Some(name) = unknown_placeholders(text).first() {
                    c.at_value(
                        &format!("{base}.{field}"),
                        format!("unknown placeholder `{{{name}}}`: the only one is `{{id}}`"),
                    );
                }
            }
        }
        if r.body.is_some() && !r.method.is_write() && r.method != super::model::Method::Delete {
            c.at_key(
                &format!("{base}.body"),
                format!("a {} request carries no body", r.method.as_str()),
            );
        }
        if r.ledger {
            if !r.method.is_write() {
                c.at_key(
                    &format!("{base}.ledger"),
                    format!("`ledger: true` on a {} request: only writes (POST, PUT, PATCH) are recorded and read back", r.method.as_str()),
                );
            } else if !r.path.contains("{id}")
                && !r.body.as_deref().is_some_and(|b| b.contains("{id}"))
            {
                c.at_key(
                    &format!("{base}.ledger"),
                    "a ledgered write must carry its client id: put `{id}` in its path or body",
                );
            }
        }
    }
    if w.id_space == 0 && w.mix.iter().any(|r| !r.ledger && r.path.contains("{id}")) {
        c.at_value(
            "workload.id_space",
            "must be at least 1 for reads to draw `{id}` from",
        );
    }
}

fn expected_kind(step: &Step) -> Option<(DependencyKind, &'static str)> {
    match step {
        Step::DbOutage(_) | Step::DiskFull(_) | Step::DestroyDatabase(_) | Step::Restore(_) => {
            Some((
                DependencyKind::Postgres,
                "a PostgreSQL service (image `firedrill/postgres:15`, `postgres:16`)",
            ))
        }
        Step::RedisOutage(_) | Step::RedisDataLoss(_) => Some((
            DependencyKind::Redis,
            "a Redis service (image `firedrill/redis:7`, `redis:7`)",
        )),
        Step::Upstream429(_) | Step::UpstreamError(_) | Step::CertExpired(_) => {
            Some((DependencyKind::Mock, "a mock upstream (`mock: {}`)"))
        }
        Step::Heal(_) => None,
    }
}

fn timeline(c: &mut Checker) {
    let s = c.s;
    let end = s.workload.duration;
    let known: Vec<&str> = s.services.keys().map(String::as_str).collect();
    let mut ids = HashSet::new();
    for (i, step) in s.timeline.iter().enumerate() {
        let base = format!("timeline[{i}]");
        let kind = step.kind();
        if step.at() >= end && !end.is_zero() {
            c.at_value(
                &format!("{base}.at"),
                format!("`at: {}` is not before the end of the load (`workload.duration: {}`): the {kind} would never be measured", d(step.at()), d(end)),
            );
        } else if let Some(dur) = step.duration() {
            if dur.is_zero() {
                c.at_value(&format!("{base}.for"), "must be longer than 0");
            } else if step.at() + dur > end {
                c.at_value(
                    &format!("{base}.for"),
                    format!(
                        "the {kind} runs past the end of the load: {} + {} = {} > `workload.duration: {}`; shorten `for` or lengthen the load",
                        d(step.at()),
                        d(dur),
                        d(step.at() + dur),
                        d(end)
                    ),
                );
            }
        }
        if let Some(svc) = step.service() {
            match s.services.get(svc) {
                None if known.is_empty() => c.at_value(
                    &format!("{base}.service"),
                    format!("unknown service `{svc}`: `services` defines none"),
                ),
                None => c.at_value(
                    &format!("{base}.service"),
                    format!(
                        "unknown service `{svc}`; `services` defines {}",
                        known
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
                Some(dep) => {
                    if let Some((want, what)) = expected_kind(step) {
                        if dep.kind() != want {
                            let is = match &dep.image {
                                Some(image) => format!("image `{image}`"),
                                None => "a mock upstream".to_string(),
                            };
                            c.at_value(
                                &format!("{base}.service"),
                                format!("`{kind}` needs {what}; `{svc}` is {is}"),
                            );
                        } else if matches!(step, Step::CertExpired(_)) && !dep.tls {
                            c.at_value(
                                &format!("{base}.service"),
                                format!("`cert-expired` needs `tls: true` on `{svc}`"),
                            );
                        }
                    }
                }
            }
        }
        if let Step::UpstreamError(e) = step {
            if !(500..=599).contains(&e.status) {
                c.at_value(
                    &format!("{base}.status"),
                    format!("{} is not a server error: give 500-599 (a 429 storm is `kind: upstream-429`)", e.status),
                );
            }
        }
        if step.is_fault() && step.has_id() && !ids.insert(step.name()) {
            c.at_value(
                &format!("{base}.id"),
                format!("fault id `{}` is used twice", step.name()),
            );
        }
    }
    recoveries(c);
    overlaps(c);
}

/// `heal` and `restore` steps: each ends exactly one fault that needs it, after it started.
fn recoveries(c: &mut Checker) {
    let s = c.s;
    let mut healed = HashSet::new();
    for (i, step) in s.timeline.iter().enumerate() {
        let base = format!("timeline[{i}]");
        match step {
            Step::Heal(h) => {
                let faults = s.faults_named(&h.fault);
                let names: Vec<String> = s
                    .timeline
                    .iter()
                    .filter(|f| f.is_fault())
                    .map(|f| format!("`{}`", f.name()))
                    .collect();
                match faults.as_slice() {
                    [] if names.is_empty() => c.at_value(
                        &format!("{base}.fault"),
                        format!("`heal` names `{}`, but the timeline has no faults", h.fault),
                    ),
                    [] => c.at_value(
                        &format!("{base}.fault"),
                        format!(
                            "`heal` names no fault `{}`; the faults are {}",
                            h.fault,
                            names.join(", ")
                        ),
                    ),
                    [j] => {
                        let fault = &s.timeline[*j];
                        if matches!(fault, Step::DestroyDatabase(_)) {
                            c.at_value(
                                &format!("{base}.fault"),
                                "a destroyed database comes back with a `restore` step, not `heal`",
                            );
                        } else if let Some(dur) = fault.duration() {
                            c.at_value(
                                &format!("{base}.fault"),
                                format!(
                                    "`{}` already ends after `for: {}`: drop `for` or this step",
                                    h.fault,
                                    d(dur)
                                ),
                            );
                        } else if h.at <= fault.at() {
                            c.at_value(
                                &format!("{base}.at"),
                                format!(
                                    "`heal` at {} is not after `{}` starts at {}",
                                    d(h.at),
                                    h.fault,
                                    d(fault.at())
                                ),
                            );
                        } else if !healed.insert(*j) {
                            c.at_value(
                                &format!("{base}.fault"),
                                format!("`{}` is healed twice", h.fault),
                            );
                        }
                    }
                    _ => c.at_value(
                        &format!("{base}.fault"),
                        format!(
                            "`{}` names {} faults: give each an `id` and heal it by that",
                            h.fault,
                            faults.len()
                        ),
                    ),
                }
            }
            Step::Restore(r) => {
                let destroyed = s
                    .timeline
                    .iter()
                    .enumerate()
                    .find(|(_, f)| matches!(f, Step::DestroyDatabase(x) if x.service == r.service && x.at < r.at));
                match destroyed {
                    None => c.at_key(
                        &base,
                        format!(
                            "`restore` of `{}` follows no `destroy-database` of it",
                            r.service
                        ),
                    ),
                    Some((j, _)) if !healed.insert(j) => {
                        c.at_key(&base, format!("`{}` is restored twice", r.service))
                    }
                    Some(_) => {}
                }
            }
            _ => {}
        }
    }
}

/// Two faults on one service at once cannot both be measured.
fn overlaps(c: &mut Checker) {
    let s = c.s;
    let end = s.workload.duration;
    for (i, a) in s.timeline.iter().enumerate().filter(|(_, f)| f.is_fault()) {
        for (j, b) in s
            .timeline
            .iter()
            .enumerate()
            .filter(|(j, f)| f.is_fault() && *j > i)
        {
            if a.service() != b.service() {
                continue;
            }
            let (a_end, b_end) = (s.fault_end(i).unwrap_or(end), s.fault_end(j).unwrap_or(end));
            if a.at() < b_end && b.at() < a_end {
                c.at_value(
                    &format!("timeline[{j}].at"),
                    format!(
                        "`{}` overlaps `{}` on `{}`: one fault a service at a time",
                        b.name(),
                        a.name(),
                        b.service().unwrap_or_default()
                    ),
                );
            }
        }
    }
}

fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::Before => "before",
        Phase::During => "during",
        Phase::After => "after",
    }
}

/// Why `phase` cannot exist in this scenario, if it cannot.
fn missing_phase(s: &Scenario, phase: Phase) -> Option<String> {
    if s.has_phase(phase) {
        return None;
    }
    Some(match phase {
        Phase::Before => "there is no `before` phase: the first fault starts at 0s".to_string(),
        Phase::During => "there is no `during` phase: the timeline has no faults".to_string(),
        Phase::After => match s.unended_fault() {
            Some(f) => format!("there is no `after` phase: `{}` never ends (give it `for`, or a `heal` or `restore` step)", f.name()),
            None => "there is no `after` phase: the last fault ends with the load".to_string(),
        },
    })
}

fn targets(c: &mut Checker, timeline_ok: bool) {
    let s = c.s;
    let t = &s.targets;
    if timeline_ok {
        phase_targets(c);
    }
    for (name, bound) in [("rto", &t.rto), ("rpo", &t.rpo)] {
        if let Some(b) = bound {
            if !b.comparison.is_upper_bound() {
                c.at_value(
                    &format!("targets.{name}"),
                    format!(
                        "a maximum: write `{}` or `<= {}`",
                        d(b.quantity),
                        d(b.quantity)
                    ),
                );
            }
        }
    }
    if t.rto.is_some() && t.stability.is_none() {
        c.at_key("targets.rto", "needs `stability`: how long the steady state must hold to count as recovered (e.g. `3s`)");
    }
    if let Some(stab) = t.stability {
        if stab.is_zero() {
            c.at_value("targets.stability", "must be longer than 0");
        }
    }
    let ledgered = s.workload.mix.iter().any(|r| r.ledger);
    for (name, set) in [
        ("lost_writes", t.lost_writes.is_some()),
        ("rpo", t.rpo.is_some()),
        ("consistent_restore", t.consistent_restore.is_some()),
    ] {
        if set && !ledgered {
            c.at_key(&format!("targets.{name}"), "needs a write with `ledger: true` in `workload.mix`: nothing is read back otherwise");
        }
    }
    let has = |f: fn(&Step) -> bool| s.timeline.iter().any(f);
    if t.retry_after_violations.is_some() && !has(|f| matches!(f, Step::Upstream429(_))) {
        c.at_key(
            "targets.retry_after_violations",
            "needs an `upstream-429` fault in the timeline",
        );
    }
    for (name, set) in [
        ("upstream_rate_drop", t.upstream_rate_drop.is_some()),
        ("upstream_rate_recovery", t.upstream_rate_recovery.is_some()),
        ("breaker_calls_while_open", t.breaker_calls_while_open.is_some()),
    ] {
        if set && !has(Step::is_upstream_fault) {
            c.at_key(
                &format!("targets.{name}"),
                "needs an `upstream-429` or `upstream-error` fault in the timeline",
            );
        }
    }
    if let Some(b) = &t.upstream_rate_drop {
        if !b.comparison.is_lower_bound() {
            c.at_value(
                "targets.upstream_rate_drop",
                format!(
                    "a minimum: write `\">= {}\"`",
                    crate::units::Quantity::Percent(b.quantity)
                ),
            );
        }
    }
    if let Some(b) = &t.upstream_rate_recovery {
        if !b.comparison.is_upper_bound() {
            c.at_value(
                "targets.upstream_rate_recovery",
                format!("a maximum: write `{}` or `<= {}`", d(b.quantity), d(b.quantity)),
            );
        }
    }
    cert_targets(c);
    if t.invalid_cert_accepted.is_some() && !has(|f| matches!(f, Step::CertExpired(_))) {
        c.at_key(
            "targets.invalid_cert_accepted",
            "needs a `cert-expired` fault in the timeline",
        );
    }
    if t.breaker_opens.is_some()
        && !has(|f| matches!(f, Step::Upstream429(_) | Step::UpstreamError(_) | Step::CertExpired(_)))
    {
        c.at_key(
            "targets.breaker_opens",
            "needs a fault on a mock upstream (`upstream-429`, `upstream-error`, `cert-expired`)",
        );
    }
    if t.breaker_calls_while_open.is_some() && s.service.health.is_none() {
        c.at_key(
            "targets.breaker_calls_while_open",
            "needs `service.health`: the breaker's state is read from the health endpoint's JSON (`supplier.breaker`)",
        );
    }
    if t.rdb_keys_lost.is_some() && !has(|f| matches!(f, Step::RedisDataLoss(_))) {
        c.at_key("targets.rdb_keys_lost", "needs a `redis-data-loss` step in the timeline");
    }
    if t.unclear_errors.is_some() && s.faults().next().is_none() {
        c.at_key(
            "targets.unclear_errors",
            "needs a fault in the timeline: error answers are judged while a dependency fails",
        );
    }
}

/// `service.tls_ca_env`: a variable name, not also set by hand, and only with a mock that serves
/// TLS. (Its absence next to a TLS mock is refused by `firedrill run`, not here: a scenario for a
/// `command` service may still be written before the drill can run it.)
fn tls_trust(c: &mut Checker) {
    let Some(var) = &c.s.service.tls_ca_env else { return };
    check_env_name(c, "service.tls_ca_env", var);
    if c.s.service.env.contains_key(var) {
        c.at_value(
            "service.tls_ca_env",
            format!("`{var}` is also set in `service.env`: firedrill fills it with the drill CA's certificate, drop it there"),
        );
    }
    if !c.s.services.values().any(|d| d.mock.is_some() && d.tls) {
        c.at_value(
            "service.tls_ca_env",
            "no mock upstream has `tls: true`: there is no drill CA to hand over",
        );
    }
}

/// `health_names_cause` and `upstream_resume`: measured on `cert-expired` faults, which must end.
fn cert_targets(c: &mut Checker) {
    let s = c.s;
    let t = &s.targets;
    let certs: Vec<usize> = s
        .timeline
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f, Step::CertExpired(_)))
        .map(|(i, _)| i)
        .collect();
    for (name, bound) in [("health_names_cause", &t.health_names_cause), ("upstream_resume", &t.upstream_resume)] {
        let Some(b) = bound else { continue };
        let path = format!("targets.{name}");
        if !b.comparison.is_upper_bound() {
            c.at_value(&path, format!("a maximum: write `{}` or `<= {}`", d(b.quantity), d(b.quantity)));
        }
        if certs.is_empty() {
            c.at_key(&path, "needs a `cert-expired` fault in the timeline");
            continue;
        }
        if name == "health_names_cause" && s.service.health.is_none() {
            c.at_key(&path, "needs `service.health`: the cause is read from the health endpoint's answers");
        }
        if name != "upstream_resume" {
            continue;
        }
        for &i in &certs {
            let fault = &s.timeline[i];
            match s.fault_end(i) {
                None => c.at_key(
                    &path,
                    format!("cannot be measured: `{}` never ends (give it `for`, or a `heal` step: the renewal)", fault.name()),
                ),
                Some(end) if end + b.quantity > s.workload.duration => c.at_key(
                    &path,
                    format!(
                        "the load ends too early to see calls resume at the limit: `{}` is renewed at {} + {} = {} > `workload.duration: {}`",
                        fault.name(),
                        d(end),
                        d(b.quantity),
                        d(end + b.quantity),
                        d(s.workload.duration)
                    ),
                ),
                Some(_) => {}
            }
        }
    }
}

/// Targets that depend on the phases and the recovery point the timeline makes.
fn phase_targets(c: &mut Checker) {
    let s = c.s;
    let t = &s.targets;
    for (phase, _) in t.error_rate.iter() {
        if let Some(why) = missing_phase(s, phase) {
            c.at_key(&format!("targets.error_rate.{}", phase_name(phase)), why);
        }
    }
    for (phase, lat) in t.latency.iter() {
        if let Some(why) = missing_phase(s, phase) {
            c.at_key(&format!("targets.latency.{}", phase_name(phase)), why);
        } else if lat.p50.is_none() && lat.p95.is_none() && lat.p99.is_none() {
            c.at_key(
                &format!("targets.latency.{}", phase_name(phase)),
                "no percentile given: use `p50`, `p95` or `p99`",
            );
        }
    }
    let Some(rto) = &t.rto else { return };
    match (s.recovery_start(), t.stability) {
        (None, _) if s.faults().next().is_none() => c.at_key(
            "targets.rto",
            "needs a fault to recover from; the timeline has none",
        ),
        (None, _) => {
            let name = s.unended_fault().map_or("a fault", Step::name);
            c.at_key("targets.rto", format!("cannot be measured: `{name}` never ends (give it `for`, or a `heal` or `restore` step)"));
        }
        (Some(_), None) => {}
        (Some(heal), Some(stab)) => {
            let needed = heal + rto.quantity + stab;
            if needed > s.workload.duration {
                c.at_key(
                    "targets.rto",
                    format!(
                        "the load ends too early to see a recovery at the RTO limit: recovery starts at {} + rto {} + stability {} = {} > `workload.duration: {}`",
                        d(heal),
                        d(rto.quantity),
                        d(stab),
                        d(needed),
                        d(s.workload.duration)
                    ),
                );
            }
        }
    }
}

fn claims(c: &mut Checker) {
    for (i, claim) in c.s.claims.iter().enumerate() {
        if claim.file.as_os_str().is_empty() {
            c.at_value(&format!("claims[{i}].file"), "empty: name the runbook file");
        }
        if claim.subject.trim().is_empty() {
            c.at_value(
                &format!("claims[{i}].subject"),
                "empty: give the claim's subject",
            );
        }
    }
}
