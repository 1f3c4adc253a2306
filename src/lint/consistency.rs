//! Shared by the rules that check promises against each other (FD6xx): what a recovery scenario or
//! a backup store is about, how much downtime an availability objective allows in a month, and
//! which runbooks of one run describe the same system.
//!
//! Two runbooks describe the same system when they link to the same domain (`https://grafana.
//! shop.example` and `https://shop.example/api` share `shop.example`); well-known SaaS domains
//! (Slack, GitHub, PagerDuty, ...) do not count, and runbooks that link to no domain of their own
//! form one group together. A cross-file rule compares a runbook with the others of its system
//! only, so linting several teams' runbooks in one run does not mix their promises.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use crate::claims::{Claim, ClaimKind, Recovery};
use crate::lint::LintedFile;
use crate::units::Quantity;

/// What a recovery scenario or a backup store is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    /// Postgres (or another database): tables, rows, WAL.
    Database,
    /// Redis (or another cache or queue that keeps data).
    Cache,
    /// Uploaded files, object storage, volumes of files.
    Files,
    /// Configuration files.
    Config,
    /// A whole host, VPS or site: every store on it.
    Host,
    /// A process that keeps no data of its own (an API container, a worker, the gateway).
    Stateless,
}

impl Component {
    pub fn name(self) -> &'static str {
        match self {
            Component::Database => "the database",
            Component::Cache => "Redis",
            Component::Files => "the stored files",
            Component::Config => "the configuration",
            Component::Host => "the whole host",
            Component::Stateless => "a stateless service",
        }
    }
}

fn has_word(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        text.match_indices(w).any(|(i, _)| {
            !text[..i].ends_with(char::is_alphanumeric) && !text[i + w.len()..].starts_with(char::is_alphanumeric)
        })
    })
}

/// What a scenario or store name is about: `Redis perdido` → cache, `Postgres container down` →
/// database, `Host loss` → host, `API container crash` → stateless. `None` when it names nothing
/// known.
pub fn component(text: &str) -> Option<Component> {
    let t = text.to_lowercase();
    if has_word(&t, &["redis", "valkey", "caché", "cache", "memcached", "rdb", "aof"]) {
        return Some(Component::Cache);
    }
    if has_word(
        &t,
        &["postgres", "postgresql", "pg", "base de datos", "bases de datos", "database", "databases", "db", "bbdd", "mysql",
          "mariadb", "wal", "rows", "filas", "tabla", "tablas", "table", "tables", "supabase-db", "datos de pedidos"],
    ) {
        return Some(Component::Database);
    }
    if has_word(&t, &["config", "configuración", "configuracion", "configuration", ".env", "compose files", "secrets"]) {
        return Some(Component::Config);
    }
    if has_word(
        &t,
        &["storage", "ficheros", "archivos", "files", "uploads", "imágenes", "imagenes", "images", "s3", "bucket", "minio",
          "adjuntos", "attachments"],
    ) {
        return Some(Component::Files);
    }
    if has_word(
        &t,
        &["host", "vps", "server", "servidor", "máquina", "machine", "region", "región", "datacenter", "site", "sitio",
          "total", "everything", "todo", "disaster", "desastre", "nodo", "node"],
    ) {
        return Some(Component::Host);
    }
    if has_word(
        &t,
        &["api", "container", "contenedor", "pod", "worker", "service", "servicio", "function", "functions", "función",
          "funciones", "gateway", "kong", "caddy", "nginx", "proxy", "frontend", "web"],
    ) {
        return Some(Component::Stateless);
    }
    None
}

/// What a recovery claim is about. A RTO/RPO stated under a heading without a subject of its own
/// (`- RPO: 1 hora` under `3.2 RTO y RPO`) is a general promise: `None`, which the rules read as
/// "the data the service keeps", the database.
pub fn recovery_component(claim: &Claim, recovery: &Recovery) -> Option<Component> {
    let section_title = claim.section.rsplit(" > ").next().unwrap_or("");
    if recovery.scenario == section_title {
        return None;
    }
    component(&recovery.scenario)
}

/// How messages name a recovery claim's scenario: `for “Redis perdido”`, or `stated under “3.2
/// RTO y RPO”` for a general promise.
pub fn scenario_phrase(claim: &Claim, recovery: &Recovery) -> String {
    let section_title = claim.section.rsplit(" > ").next().unwrap_or("");
    if recovery.scenario == section_title {
        format!("stated under “{}”", recovery.scenario)
    } else {
        format!("for “{}”", recovery.scenario)
    }
}

/// The downtime an availability objective (`≥ 99.9 %`) allows in a 30-day month: 43.2 minutes.
pub fn monthly_downtime_budget(value: &Quantity) -> Option<Duration> {
    let Quantity::Percent(p) = value else { return None };
    if !(50.0..100.0).contains(&p.0) {
        return None;
    }
    Some(Duration::from_secs_f64((100.0 - p.0) / 100.0 * 30.0 * 86_400.0))
}

/// The strictest availability objective among claims, with its budget.
pub fn strictest_availability(claims: &[Claim]) -> Option<(&Claim, Duration)> {
    crate::claims::objectives(claims)
        .filter(|(_, o)| o.metric == crate::claims::Metric::Availability && o.comparison.is_lower_bound())
        .filter_map(|(c, o)| monthly_downtime_budget(&o.value).map(|b| (c, b)))
        .min_by_key(|(_, b)| *b)
}

/// `3 h` / `43 min` for messages.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 2 * 86_400 && secs % 86_400 == 0 {
        format!("{} d", secs / 86_400)
    } else if secs >= 3600 && secs % 3600 == 0 {
        format!("{} h", secs / 3600)
    } else if secs >= 3600 {
        format!("{:.1} h", secs as f64 / 3600.0)
    } else if secs >= 60 {
        let m = d.as_secs_f64() / 60.0;
        if (m - m.round()).abs() < 0.05 { format!("{} min", m.round()) } else { format!("{m:.1} min") }
    } else {
        format!("{secs} s")
    }
}

/// Which runbooks of a run describe the same system (see the module docs).
pub struct Systems {
    system_of: Vec<usize>,
    /// The files of each system, by the system's index (its first file).
    members: HashMap<usize, Vec<usize>>,
}

/// Hosts of `http(s)://` links.
static URL_HOST: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"https?://([A-Za-z0-9.-]+)").unwrap());

/// Domains of shared services: linking to them says nothing about which system a runbook is for.
const COMMON_DOMAINS: &[&str] = &[
    "slack.com", "github.com", "githubusercontent.com", "gitlab.com", "pagerduty.com", "opsgenie.com", "atlassian.net",
    "atlassian.com", "google.com", "googleapis.com", "amazonaws.com", "aws.amazon.com", "amazon.com", "azure.com",
    "microsoft.com", "cloudflare.com", "docker.com", "docker.io", "postgresql.org", "redis.io", "prometheus.io",
    "grafana.com", "supabase.com", "supabase.co", "supabase.io", "sentry.io", "npmjs.com", "npmjs.org", "stripe.com",
    "letsencrypt.org", "example.com", "example.org", "example.net", "wikipedia.org", "stackoverflow.com", "zoom.us",
    "statuspage.io", "1password.com", "hashicorp.com", "kubernetes.io", "debian.org", "ubuntu.com",
];

/// `grafana.shop.example` → `shop.example`; `www.tienda.com.es` → `tienda.com.es`.
fn registrable(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    if labels.len() < 2 {
        return None;
    }
    let n = labels.len();
    let second_level = ["co", "com", "org", "net", "gob", "gov", "ac", "edu", "nom"];
    let take = if n >= 3 && labels[n - 1].len() == 2 && second_level.contains(&labels[n - 2]) { 3 } else { 2 };
    let domain = labels[n.saturating_sub(take)..].join(".");
    (!COMMON_DOMAINS.contains(&domain.as_str())).then_some(domain)
}

impl Systems {
    pub fn of(files: &[LintedFile]) -> Systems {
        let mut parent: Vec<usize> = (0..files.len()).collect();
        fn find(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut owner: HashMap<String, usize> = HashMap::new();
        let mut unnamed: Option<usize> = None;
        for (i, f) in files.iter().enumerate() {
            let text = f.runbook.text();
            let mut named = false;
            if text.contains("://") {
                for cap in URL_HOST.captures_iter(text) {
                    let Some(domain) = registrable(&cap[1]) else { continue };
                    named = true;
                    match owner.get(&domain) {
                        Some(&j) => {
                            let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                            parent[a.max(b)] = a.min(b);
                        }
                        None => {
                            owner.insert(domain, i);
                        }
                    }
                }
            }
            if !named {
                match unnamed {
                    Some(j) => {
                        let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                        parent[a.max(b)] = a.min(b);
                    }
                    None => unnamed = Some(i),
                }
            }
        }
        let system_of: Vec<usize> = (0..files.len()).map(|i| find(&mut parent, i)).collect();
        let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, s) in system_of.iter().enumerate() {
            members.entry(*s).or_default().push(i);
        }
        Systems { system_of, members }
    }

    /// The system a file belongs to (an index shared by every file of that system).
    pub fn system(&self, file: usize) -> usize {
        self.system_of[file]
    }
}

/// A fact looked up in a runbook, else in the other runbooks of its system (the first that has
/// it). Each runbook's own answer is worked out once, and so is each system's fallback: rules ask
/// for every claim, and a run may hold thousands of runbooks of one system.
pub struct Lookup<K, T> {
    own: HashMap<(usize, K), Option<T>>,
    system: HashMap<(usize, K), Option<(usize, T)>>,
}

impl<K: std::hash::Hash + Eq + Copy, T: Clone> Lookup<K, T> {
    pub fn new() -> Self {
        Self { own: HashMap::new(), system: HashMap::new() }
    }

    /// The answer for `file` and where it came from; `own(f, key)` is runbook `f`'s own answer.
    pub fn get(&mut self, systems: &Systems, file: usize, key: K, own: impl Fn(usize, K) -> Option<T>) -> Option<(usize, T)> {
        if let Some(t) = self.own.entry((file, key)).or_insert_with(|| own(file, key)).clone() {
            return Some((file, t));
        }
        let system = systems.system(file);
        if let Some(found) = self.system.get(&(system, key)) {
            return found.clone();
        }
        let members = systems.members.get(&system).map_or(&[][..], Vec::as_slice);
        let found = members.iter().find_map(|&f| self.own.entry((f, key)).or_insert_with(|| own(f, key)).clone().map(|t| (f, t)));
        self.system.insert((system, key), found.clone());
        found
    }
}

impl<K: std::hash::Hash + Eq + Copy, T: Clone> Default for Lookup<K, T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a claim is, for a message written in another claim's file: `line 12`, or
/// `ops/other.md:12` when it is in another runbook.
pub fn place(files: &[LintedFile], from: usize, file: usize, line: usize) -> String {
    if from == file {
        format!("line {line}")
    } else {
        format!("{}:{line}", files[file].runbook.path.display())
    }
}

/// Recovery claims with their RPO (or RTO), for iteration.
pub fn recoveries(claims: &[Claim]) -> impl Iterator<Item = (&Claim, &Recovery)> {
    claims.iter().filter_map(|c| match &c.kind {
        ClaimKind::Recovery(r) => Some((c, r)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        assert_eq!(component("Redis perdido"), Some(Component::Cache));
        assert_eq!(component("Postgres container down, data intact"), Some(Component::Database));
        assert_eq!(component("Base de datos corrupta"), Some(Component::Database));
        assert_eq!(component("Host loss (shop-prod-1 gone)"), Some(Component::Host));
        assert_eq!(component("Pérdida total del VPS"), Some(Component::Host));
        assert_eq!(component("Contenedor de la API caído"), Some(Component::Stateless));
        assert_eq!(component("Compose files and Caddy config (no secrets)"), Some(Component::Config));
        assert_eq!(component("Product images (uploads)"), Some(Component::Files));
        assert_eq!(component("Storage (ficheros de tarifas) perdido"), Some(Component::Files));
    }

    #[test]
    fn budgets_and_domains() {
        let b = monthly_downtime_budget(&Quantity::Percent(crate::units::Percent(99.9))).unwrap();
        assert_eq!(human(b), "43.2 min");
        assert_eq!(registrable("grafana.brezojardin.es").as_deref(), Some("brezojardin.es"));
        assert_eq!(registrable("www.tienda.com.es").as_deref(), Some("tienda.com.es"));
        assert_eq!(registrable("hooks.slack.com"), None);
        assert_eq!(registrable("127.0.0.1"), None);
    }
}
