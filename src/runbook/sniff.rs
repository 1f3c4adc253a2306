//! What language a code block really holds, whatever its fence says.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Languages firedrill analyses (everything else is `Other`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Bash,
    Sql,
    Promql,
    Yaml,
    Json,
    Text,
    Other,
}

impl Lang {
    /// The language a fence's info word declares.
    pub fn from_info(info: &str) -> Option<Lang> {
        Some(match info {
            "bash" | "sh" | "shell" | "zsh" | "console" | "shell-session" | "shellsession" | "ksh" => Lang::Bash,
            "sql" | "psql" | "pgsql" | "postgres" | "postgresql" | "plpgsql" => Lang::Sql,
            "promql" | "prometheus" => Lang::Promql,
            "yaml" | "yml" => Lang::Yaml,
            "json" | "jsonc" => Lang::Json,
            "text" | "txt" | "plain" | "plaintext" | "none" | "output" | "log" => Lang::Text,
            _ => Lang::Other,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Lang::Bash => "bash",
            Lang::Sql => "sql",
            Lang::Promql => "promql",
            Lang::Yaml => "yaml",
            Lang::Json => "json",
            Lang::Text => "text",
            Lang::Other => "other",
        }
    }
}

const SQL_STARTS: &[&str] = &[
    "select", "insert", "update", "delete", "create", "alter", "drop", "vacuum", "reindex", "analyze", "analyse",
    "begin", "commit", "rollback", "set", "show", "grant", "revoke", "truncate", "with", "explain", "checkpoint",
    "cluster", "copy", "refresh", "comment", "do", "listen", "notify", "lock", "reset", "call", "values",
];

const SHELL_COMMANDS: &[&str] = &[
    "docker", "docker-compose", "sudo", "psql", "pg_dump", "pg_restore", "pg_dumpall", "pg_basebackup", "curl",
    "wget", "systemctl", "service", "redis-cli", "echo", "export", "cd", "ls", "rm", "cp", "mv", "cat", "grep",
    "kubectl", "tail", "head", "tar", "gzip", "gunzip", "zcat", "find", "chmod", "chown", "mkdir", "ssh", "scp",
    "rsync", "source", "set", "if", "then", "fi", "for", "do", "done", "while", "case", "esac", "exit", "sleep",
    "journalctl", "df", "du", "free", "top", "htop", "ps", "kill", "pkill", "crontab", "git", "npm", "npx", "node",
    "python", "python3", "pip", "make", "openssl", "certbot", "nginx", "supabase", "aws", "gcloud", "az", "jq",
    "awk", "sed", "tee", "touch", "ln", "printf", "read", "test", "watch", "timeout", "env", "date", "nc",
    "netstat", "ss", "ping", "dig", "nslookup", "vacuumdb", "reindexdb", "createdb", "dropdb", "pg_isready",
    "pg_ctl", "pg_ctlcluster", "redis-server", "apt", "apt-get", "yum", "helm", "terraform", "ansible", "mysql",
    "local", "function", "trap", "unset", "return", "until", "else", "elif", "wait", "true", "false", "xargs",
    "sort", "uniq", "wc", "cut", "tr", "base64", "sha256sum", "md5sum", "uptime", "whoami", "hostname", "mount",
    "umount", "ip", "iptables", "ufw", "lsof", "strace", "nohup", "bash", "sh", "zsh", "exec", "eval",
];

/// The two word lists as sets: `line_kind` looks every line's first word up in them.
static SHELL_COMMAND_SET: LazyLock<HashSet<&'static str>> = LazyLock::new(|| SHELL_COMMANDS.iter().copied().collect());
static SQL_START_SET: LazyLock<HashSet<&'static str>> = LazyLock::new(|| SQL_STARTS.iter().copied().collect());

/// Classifies one line of code; `None` for blank and comment lines.
fn line_kind(line: &str) -> Option<Lang> {
    let l = line.trim();
    if l.is_empty() || l.starts_with('#') && !l.starts_with("#!") || l.starts_with("--") || l.starts_with("//") {
        return None;
    }
    let l = l.strip_prefix("$ ").or_else(|| l.strip_prefix("# ")).unwrap_or(l);
    let first = l.split(|c: char| c.is_whitespace() || c == '(' || c == ';').next().unwrap_or("");
    let lower = first.to_ascii_lowercase();
    if l.starts_with("#!") || l.starts_with('\\') && l.len() > 1 && l.as_bytes()[1].is_ascii_alphabetic() && !l.contains(' ') {
        // A shebang, or a psql meta-command like `\dt` (we treat those as SQL context).
        return Some(if l.starts_with("#!") { Lang::Bash } else { Lang::Sql });
    }
    if SHELL_COMMAND_SET.contains(first) || first.starts_with("./") || first.starts_with('/') || first.starts_with('$') {
        return Some(Lang::Bash);
    }
    // `NAME=value` assignments.
    if let Some((name, _)) = l.split_once('=') {
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.contains(' ') {
            return Some(Lang::Bash);
        }
    }
    if SQL_START_SET.contains(lower.as_str()) {
        return Some(Lang::Sql);
    }
    None
}

/// Guesses the language of a block body.
pub fn sniff(body: &str) -> Lang {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return Lang::Text;
    }
    if (trimmed.starts_with('{') && trimmed.ends_with('}')) || (trimmed.starts_with('[') && trimmed.ends_with(']')) {
        if serde_json::from_str::<serde_json::Value>(trimmed).is_ok() {
            return Lang::Json;
        }
    }
    let (mut bash, mut sql, mut other) = (0usize, 0usize, 0usize);
    for line in trimmed.lines() {
        match line_kind(line) {
            Some(Lang::Bash) => bash += 1,
            Some(Lang::Sql) => sql += 1,
            Some(_) => {}
            None if line.trim().is_empty() || line.trim_start().starts_with('#') => {}
            None => other += 1,
        }
    }
    if sql > 0 && sql >= bash && (trimmed.contains(';') || sql * 2 >= sql + bash + other) {
        return Lang::Sql;
    }
    if bash > 0 && bash * 3 >= bash + sql + other {
        return Lang::Bash;
    }
    if looks_like_yaml(trimmed) {
        return Lang::Yaml;
    }
    if looks_like_promql(trimmed) {
        return Lang::Promql;
    }
    if bash > 0 {
        return Lang::Bash;
    }
    Lang::Text
}

fn looks_like_yaml(body: &str) -> bool {
    let mut keyed = 0;
    let mut total = 0;
    for line in body.lines().map(str::trim_end).filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')) {
        total += 1;
        let l = line.trim_start();
        let is_key = l.split_once(':').is_some_and(|(k, v)| {
            let k = k.trim_start_matches("- ");
            !k.is_empty()
                && !k.contains(' ')
                && k.chars().all(|c| c.is_alphanumeric() || "_-.\"'".contains(c))
                && (v.is_empty() || v.starts_with(' '))
        });
        if is_key || l.starts_with("- ") {
            keyed += 1;
        }
    }
    total > 0 && keyed * 10 >= total * 8 && body.contains(':')
}

fn looks_like_promql(body: &str) -> bool {
    let markers = ["rate(", "irate(", "increase(", "sum(", "sum by", "avg(", "histogram_quantile(", "up{", "_total", "_bucket", "_seconds"];
    let lines: Vec<&str> = body.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).collect();
    !lines.is_empty() && lines.len() <= 12 && markers.iter().any(|m| body.contains(m)) && !body.contains(';')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_common_blocks() {
        assert_eq!(sniff("docker compose ps\ncurl -fsS http://localhost/health\n"), Lang::Bash);
        assert_eq!(sniff("SELECT pid, state\nFROM pg_stat_activity\nWHERE state <> 'idle';\n"), Lang::Sql);
        assert_eq!(sniff("SELECT pg_terminate_backend(pid) FROM pg_stat_activity;"), Lang::Sql);
        assert_eq!(sniff("sum(rate(http_requests_total{status=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))"), Lang::Promql);
        assert_eq!(sniff("groups:\n  - name: api\n    rules:\n      - alert: High\n        expr: up == 0\n"), Lang::Yaml);
        assert_eq!(sniff("{\"status\": \"ok\"}"), Lang::Json);
        assert_eq!(sniff("┌────┐\n│ API │\n└────┘"), Lang::Text);
    }
}
