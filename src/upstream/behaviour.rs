//! What the mock answers: a [`Behaviour`] per route (or every route), optionally as a timed
//! sequence of [`Step`]s ("429 for 5 s, then normal") evaluated against the mock's clock.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One way of answering a request. JSON: `{"kind": "throttle", "retry_after_s": 5}` etc.; every kind
/// takes `delay_ms`, latency added before the answer (or before the reset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Behaviour {
    /// A normal answer: `status` (default 200) with a JSON `body` (default `{"ok": true}`).
    Respond {
        #[serde(default = "ok_status")]
        status: u16,
        #[serde(default = "ok_body")]
        body: Value,
        #[serde(default, rename = "delay_ms", with = "millis")]
        delay: Duration,
    },
    /// 429 with `Retry-After`: whole seconds, or (`http_date: true`) the HTTP date that many
    /// seconds after the answer leaves, rounded up to the next second.
    Throttle {
        #[serde(rename = "retry_after_s", with = "whole_seconds")]
        retry_after: Duration,
        #[serde(default)]
        http_date: bool,
        #[serde(default = "throttle_body")]
        body: Value,
        #[serde(default, rename = "delay_ms", with = "millis")]
        delay: Duration,
    },
    /// A server error, `status` 500..=599 (default 503).
    Fail {
        #[serde(default = "fail_status")]
        status: u16,
        #[serde(default = "fail_body")]
        body: Value,
        #[serde(default, rename = "delay_ms", with = "millis")]
        delay: Duration,
    },
    /// Close the connection with a TCP reset instead of answering.
    Reset {
        #[serde(default, rename = "delay_ms", with = "millis")]
        delay: Duration,
    },
}

fn ok_status() -> u16 {
    200
}
fn fail_status() -> u16 {
    503
}
fn ok_body() -> Value {
    serde_json::json!({"ok": true})
}
fn throttle_body() -> Value {
    serde_json::json!({"error": "rate limited by the firedrill mock"})
}
fn fail_body() -> Value {
    serde_json::json!({"error": "failure injected by the firedrill mock"})
}

impl Behaviour {
    /// 200 `{"ok": true}`: what the mock answers when nothing was programmed.
    pub fn ok() -> Self {
        Behaviour::Respond { status: 200, body: ok_body(), delay: Duration::ZERO }
    }

    pub fn respond(status: u16, body: Value) -> Self {
        Behaviour::Respond { status, body, delay: Duration::ZERO }
    }

    /// 429 with `Retry-After: <seconds>` (sub-second parts are rounded up).
    pub fn throttle(retry_after: Duration) -> Self {
        Behaviour::Throttle { retry_after, http_date: false, body: throttle_body(), delay: Duration::ZERO }
    }

    /// 429 with `Retry-After: <HTTP date>`.
    pub fn throttle_until_date(retry_after: Duration) -> Self {
        Behaviour::Throttle { retry_after, http_date: true, body: throttle_body(), delay: Duration::ZERO }
    }

    pub fn fail(status: u16) -> Self {
        Behaviour::Fail { status, body: fail_body(), delay: Duration::ZERO }
    }

    pub fn reset() -> Self {
        Behaviour::Reset { delay: Duration::ZERO }
    }

    /// The same behaviour after an added latency.
    pub fn with_delay(mut self, added: Duration) -> Self {
        match &mut self {
            Behaviour::Respond { delay, .. }
            | Behaviour::Throttle { delay, .. }
            | Behaviour::Fail { delay, .. }
            | Behaviour::Reset { delay } => *delay = added,
        }
        self
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Behaviour::Respond { .. } => "respond",
            Behaviour::Throttle { .. } => "throttle",
            Behaviour::Fail { .. } => "fail",
            Behaviour::Reset { .. } => "reset",
        }
    }

    pub fn delay(&self) -> Duration {
        match self {
            Behaviour::Respond { delay, .. }
            | Behaviour::Throttle { delay, .. }
            | Behaviour::Fail { delay, .. }
            | Behaviour::Reset { delay } => *delay,
        }
    }

    /// Checks ranges serde cannot; the message names the field and what it takes.
    pub fn check(&self) -> Result<(), String> {
        const DAY: Duration = Duration::from_secs(86_400);
        if self.delay() > DAY {
            return Err(format!("delay_ms {} is over a day; give at most 86400000", self.delay().as_millis()));
        }
        match self {
            Behaviour::Respond { status, .. } if !(200..=599).contains(status) => {
                Err(format!("respond: status {status} is not 200..=599"))
            }
            Behaviour::Fail { status, .. } if !(500..=599).contains(status) => {
                Err(format!("fail: status {status} is not a server error (500..=599); use `respond` for other codes"))
            }
            Behaviour::Throttle { retry_after, .. } if *retry_after > DAY => {
                Err(format!("throttle: retry_after_s {} is over a day", retry_after.as_secs()))
            }
            _ => Ok(()),
        }
    }
}

/// One step of a schedule: a behaviour for `for_ms` (absent: from then on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub behaviour: Behaviour,
    #[serde(default, rename = "for_ms", with = "millis_opt", skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
}

impl Step {
    pub fn forever(behaviour: Behaviour) -> Self {
        Step { behaviour, duration: None }
    }

    pub fn lasting(behaviour: Behaviour, duration: Duration) -> Self {
        Step { behaviour, duration: Some(duration) }
    }
}

/// The body of `PUT /behaviour`: `steps`, or the shorthand `behaviour` (+ `for_ms`). `route` is a
/// path (`/prices`), a prefix ending in `*` (`/v1/*`), or absent / `*` for every route.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetBehaviour {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<Step>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behaviour: Option<Behaviour>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_ms: Option<u64>,
}

impl SetBehaviour {
    /// The steps this request stands for, checked.
    pub(crate) fn steps(self) -> Result<(Route, Vec<Step>), String> {
        let route = Route::parse(self.route.as_deref())?;
        let steps = match (self.steps, self.behaviour) {
            (Some(_), Some(_)) => return Err("give `steps` or `behaviour` (with `for_ms`), not both".into()),
            (None, None) => return Err("give `behaviour` (with an optional `for_ms`) or `steps`".into()),
            (Some(steps), None) => {
                if self.for_ms.is_some() {
                    return Err("`for_ms` goes inside each step when `steps` is given".into());
                }
                steps
            }
            (None, Some(behaviour)) => vec![Step { behaviour, duration: self.for_ms.map(Duration::from_millis) }],
        };
        if steps.is_empty() {
            return Err("`steps` is empty; give at least one step (DELETE /behaviour clears every rule)".into());
        }
        for (i, step) in steps.iter().enumerate() {
            step.behaviour.check().map_err(|e| format!("steps[{i}]: {e}"))?;
            match step.duration {
                None if i + 1 < steps.len() => {
                    return Err(format!("steps[{i}] has no for_ms but is not the last step; only the last may last forever"))
                }
                Some(d) if d.is_zero() => return Err(format!("steps[{i}]: for_ms must be above 0")),
                _ => {}
            }
        }
        Ok((route, steps))
    }
}

/// Which requests a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    All,
    Exact(String),
    Prefix(String),
}

impl Route {
    pub(crate) fn parse(route: Option<&str>) -> Result<Route, String> {
        match route.map(str::trim) {
            None | Some("*") | Some("") => Ok(Route::All),
            Some(r) if !r.starts_with('/') => {
                Err(format!("route `{r}` must be a path starting with `/` (a trailing `*` makes it a prefix), or `*` for every route"))
            }
            Some(r) => Ok(match r.strip_suffix('*') {
                Some(prefix) => Route::Prefix(prefix.to_string()),
                None => Route::Exact(r.to_string()),
            }),
        }
    }

    fn name(&self) -> String {
        match self {
            Route::All => "*".to_string(),
            Route::Exact(p) => p.clone(),
            Route::Prefix(p) => format!("{p}*"),
        }
    }

    /// Higher is more specific; `None` when the route does not apply to `path`.
    fn specificity(&self, path: &str) -> Option<usize> {
        match self {
            Route::Exact(p) if p == path => Some(usize::MAX),
            Route::Prefix(p) if path.starts_with(p.as_str()) => Some(1 + p.len()),
            Route::All => Some(0),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct Schedule {
    route: Route,
    set_at_ms: u64,
    steps: Vec<Step>,
}

impl Schedule {
    /// The step in force at `now_ms`, if the schedule has not run out.
    fn active(&self, now_ms: u64) -> Option<usize> {
        let mut from = self.set_at_ms;
        for (i, step) in self.steps.iter().enumerate() {
            match step.duration {
                None => return Some(i),
                Some(d) => {
                    let until = from + d.as_millis() as u64;
                    if now_ms < until {
                        return Some(i);
                    }
                    from = until;
                }
            }
        }
        None
    }

    fn view(&self, now_ms: u64) -> ScheduleView {
        let mut from = self.set_at_ms;
        let steps = self
            .steps
            .iter()
            .map(|s| {
                let until = s.duration.map(|d| from + d.as_millis() as u64);
                let view = StepView { behaviour: s.behaviour.clone(), from_ms: from, until_ms: until };
                from = until.unwrap_or(from);
                view
            })
            .collect();
        ScheduleView { route: self.route.name(), set_at_ms: self.set_at_ms, active_step: self.active(now_ms), steps }
    }
}

/// A schedule as the admin API reports it, with absolute times on the mock's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleView {
    pub route: String,
    pub set_at_ms: u64,
    /// The index of the step in force now; absent once every timed step has run out.
    pub active_step: Option<usize>,
    pub steps: Vec<StepView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub behaviour: Behaviour,
    pub from_ms: u64,
    /// Absent for a step that lasts from then on.
    pub until_ms: Option<u64>,
}

/// Every rule set through the admin API. Resolution: an exact route, then the longest prefix, then
/// `*`, then the default 200 — skipping any schedule that has run out.
#[derive(Debug, Default)]
pub(crate) struct Program {
    schedules: Vec<Schedule>,
}

impl Program {
    /// Replaces the rule for `route`, starting now.
    pub(crate) fn set(&mut self, route: Route, steps: Vec<Step>, now_ms: u64) -> ScheduleView {
        self.schedules.retain(|s| s.route != route);
        let schedule = Schedule { route, set_at_ms: now_ms, steps };
        let view = schedule.view(now_ms);
        self.schedules.push(schedule);
        view
    }

    /// The behaviour for a request to `path` at `now_ms`, and the name of the rule that chose it.
    pub(crate) fn decide(&self, path: &str, now_ms: u64) -> (String, Behaviour) {
        self.schedules
            .iter()
            .filter_map(|s| Some((s.route.specificity(path)?, s, s.active(now_ms)?)))
            .max_by_key(|(specificity, _, _)| *specificity)
            .map(|(_, s, i)| (s.route.name(), s.steps[i].behaviour.clone()))
            .unwrap_or_else(|| ("default".to_string(), Behaviour::ok()))
    }

    pub(crate) fn view(&self, now_ms: u64) -> Vec<ScheduleView> {
        self.schedules.iter().map(|s| s.view(now_ms)).collect()
    }

    pub(crate) fn clear(&mut self) {
        self.schedules.clear();
    }
}

mod millis {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(serde::Deserialize::deserialize(d)?))
    }
}

mod millis_opt {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let ms: Option<u64> = serde::Deserialize::deserialize(d)?;
        Ok(ms.map(Duration::from_millis))
    }
}

mod whole_seconds {
    use std::time::Duration;

    /// Rounds up: a Retry-After shorter than asked would invite early calls.
    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(super::ceil_seconds(*d))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_secs(serde::Deserialize::deserialize(d)?))
    }
}

pub(crate) fn ceil_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(program: &mut Program, json: &str, now_ms: u64) -> Result<ScheduleView, String> {
        let request: SetBehaviour = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let (route, steps) = request.steps()?;
        Ok(program.set(route, steps, now_ms))
    }

    #[test]
    fn a_window_runs_out_and_falls_back() {
        let mut p = Program::default();
        let view = set(&mut p, r#"{"behaviour": {"kind": "throttle", "retry_after_s": 2}, "for_ms": 5000}"#, 1000).unwrap();
        assert_eq!(view.steps[0].until_ms, Some(6000));
        assert_eq!(p.decide("/prices", 5999).1.kind(), "throttle");
        assert_eq!(p.decide("/prices", 6000), ("default".to_string(), Behaviour::ok()));
    }

    #[test]
    fn steps_follow_each_other_and_the_last_stays() {
        let mut p = Program::default();
        let json = r#"{"route": "/prices", "steps": [
            {"behaviour": {"kind": "fail"}, "for_ms": 100},
            {"behaviour": {"kind": "reset"}, "for_ms": 100},
            {"behaviour": {"kind": "respond", "status": 201, "delay_ms": 50}}]}"#;
        set(&mut p, json, 0).unwrap();
        assert_eq!(p.decide("/prices", 99).1, Behaviour::fail(503));
        assert_eq!(p.decide("/prices", 100).1, Behaviour::reset());
        assert_eq!(p.decide("/prices", 10_000).1, Behaviour::respond(201, ok_body()).with_delay(Duration::from_millis(50)));
    }

    #[test]
    fn exact_beats_prefix_beats_all() {
        let mut p = Program::default();
        set(&mut p, r#"{"behaviour": {"kind": "fail", "status": 500}}"#, 0).unwrap();
        set(&mut p, r#"{"route": "/v1/*", "behaviour": {"kind": "fail", "status": 502}}"#, 0).unwrap();
        set(&mut p, r#"{"route": "/v1/prices", "behaviour": {"kind": "throttle", "retry_after_s": 1}, "for_ms": 10}"#, 0)
            .unwrap();
        assert_eq!(p.decide("/v1/prices", 5), ("/v1/prices".to_string(), Behaviour::throttle(Duration::from_secs(1))));
        assert_eq!(p.decide("/v1/prices", 10), ("/v1/*".to_string(), Behaviour::fail(502)));
        assert_eq!(p.decide("/other", 10), ("*".to_string(), Behaviour::fail(500)));
    }

    #[test]
    fn bad_requests_say_what_to_give() {
        let mut p = Program::default();
        let err = |json: &str| set(&mut Program::default(), json, 0).unwrap_err();
        assert!(err(r#"{"route": "prices", "behaviour": {"kind": "reset"}}"#).contains("starting with `/`"));
        assert!(err(r#"{"behaviour": {"kind": "fail", "status": 404}}"#).contains("use `respond`"));
        assert!(err(r#"{"steps": [{"behaviour": {"kind": "reset"}}, {"behaviour": {"kind": "reset"}}]}"#)
            .contains("only the last may last forever"));
        assert!(err(r#"{"behaviour": {"kind": "respond", "statuss": 200}}"#).contains("unknown field `statuss`"));
        assert!(err(r#"{}"#).contains("give `behaviour`"));
        assert!(p.view(0).is_empty());
        set(&mut p, r#"{"behaviour": {"kind": "reset"}}"#, 0).unwrap();
        assert_eq!(p.view(0).len(), 1);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let json = serde_json::to_value(Behaviour::throttle(Duration::from_millis(1500))).unwrap();
        assert_eq!(json["retry_after_s"], 2);
    }
}
