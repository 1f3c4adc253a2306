//! `firedrill.toml`: found upward from the first linted path, or named with `--config`.
//!
//! ```toml
//! postgres_version = 16      # target server major version for catalog checks
//! today = "2026-01-15"       # "now" for review dates (tests pin it)
//! root = ".."                # repository root, for checks on referenced files
//! fail_on = "warning"        # lowest severity that makes `lint` exit 1
//!
//! [rules]
//! FD203 = "off"              # disable a rule
//! FD502 = "info"             # or re-level it
//!
//! [certify]                  # what `firedrill certify` certifies without --runbooks/--scenarios
//! runbooks = ["docs/runbooks"]
//! scenarios = ["scenarios"]
//! warnings_block = false     # lint warnings are listed, not reasons for NO-GO
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Severity;

pub const FILE_NAME: &str = "firedrill.toml";
pub const DEFAULT_POSTGRES_VERSION: u32 = 17;

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_pg")]
    pub postgres_version: u32,
    #[serde(default, with = "date_opt")]
    pub today: Option<jiff::civil::Date>,
    /// Repository root; relative paths are resolved against the config file's folder.
    #[serde(default)]
    pub root: Option<PathBuf>,
    #[serde(default)]
    pub fail_on: Option<Severity>,
    #[serde(default)]
    pub rules: BTreeMap<String, RuleSetting>,
    /// Glob-like suffixes of files to lint when walking folders (default `*.md`, `*.markdown`).
    #[serde(default)]
    pub include: Vec<String>,
    /// `firedrill certify`'s defaults.
    #[serde(default)]
    pub certify: CertifyConfig,
    /// Where this config came from, if from a file.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

fn default_pg() -> u32 {
    DEFAULT_POSTGRES_VERSION
}

impl Default for Config {
    fn default() -> Self {
        Config {
            postgres_version: DEFAULT_POSTGRES_VERSION,
            today: None,
            root: None,
            fail_on: None,
            rules: BTreeMap::new(),
            include: Vec::new(),
            certify: CertifyConfig::default(),
            source: None,
        }
    }
}

/// The `[certify]` table. Relative paths are resolved against the config file's folder.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertifyConfig {
    #[serde(default)]
    pub runbooks: Vec<PathBuf>,
    #[serde(default)]
    pub scenarios: Vec<PathBuf>,
    #[serde(default)]
    pub warnings_block: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSetting {
    Off,
    Info,
    Warning,
    Error,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid { path: PathBuf, line: usize, column: usize, message: String },
}

mod date_opt {
    use serde::Deserialize;
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<jiff::civil::Date>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        s.map(|s| s.parse().map_err(|e| serde::de::Error::custom(format!("`{s}` is not a date like 2026-01-15: {e}"))))
            .transpose()
    }
}

impl Config {
    /// Reads a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.into(), source })?;
        let mut config: Config = toml::from_str(&text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| {
                    let before = &text[..s.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                    (line, col)
                })
                .unwrap_or((1, 1));
            ConfigError::Invalid { path: path.into(), line, column, message: e.message().to_string() }
        })?;
        for (code, _) in &config.rules {
            if crate::lint::rules::find(code).is_none() {
                let line = text.lines().position(|l| l.trim_start().starts_with(code.as_str())).map_or(1, |i| i + 1);
                return Err(ConfigError::Invalid {
                    path: path.into(),
                    line,
                    column: 1,
                    message: format!("unknown rule `{code}` (see `firedrill rules`)"),
                });
            }
        }
        if let (Some(root), Some(dir)) = (&config.root, path.parent()) {
            if root.is_relative() {
                config.root = Some(dir.join(root));
            }
        }
        if let Some(dir) = path.parent() {
            for p in config.certify.runbooks.iter_mut().chain(config.certify.scenarios.iter_mut()) {
                if p.is_relative() {
                    *p = dir.join(&*p);
                }
            }
        }
        config.source = Some(path.to_path_buf());
        Ok(config)
    }

    /// Finds `firedrill.toml` in `start` (or its folder) and its ancestors.
    pub fn discover(start: &Path) -> Result<Config, ConfigError> {
        let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
        let mut dir = if start.is_dir() { Some(start.as_path()) } else { start.parent() };
        while let Some(d) = dir {
            let candidate = d.join(FILE_NAME);
            if candidate.is_file() {
                return Config::load(&candidate);
            }
            dir = d.parent();
        }
        Ok(Config::default())
    }

    /// The date review-date rules compare with: `today` from the config, else the clock.
    pub fn today(&self) -> jiff::civil::Date {
        self.today.unwrap_or_else(|| jiff::Zoned::now().date())
    }

    /// The severity a rule reports at, or `None` when it is off.
    pub fn severity_of(&self, code: &str, default: Severity) -> Option<Severity> {
        match self.rules.get(code) {
            None => Some(default),
            Some(RuleSetting::Off) => None,
            Some(RuleSetting::Info) => Some(Severity::Info),
            Some(RuleSetting::Warning) => Some(Severity::Warning),
            Some(RuleSetting::Error) => Some(Severity::Error),
        }
    }
}
