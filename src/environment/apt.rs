//! The Debian mirror this machine already uses, read from its apt configuration (deb822
//! `*.sources` and one-line `*.list` / `sources.list`), so image builds never name a host.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The release the images are built from.
pub const SUITE: &str = "bookworm";

/// One `deb` source: a URI and the suites and components it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptSource {
    pub uri: String,
    pub suites: Vec<String>,
    pub components: Vec<String>,
    /// The file it was read from, for messages.
    pub file: PathBuf,
}

/// The mirror for debootstrap and the `sources.list` lines to write into the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    pub uri: String,
    /// One-line `deb URI SUITE main` entries: the release, its updates and its security suite.
    pub sources_list: String,
}

/// Reads every `deb` source under `etc_apt` (normally `/etc/apt`).
pub fn read_sources(etc_apt: &Path) -> Result<Vec<AptSource>> {
    let mut files = Vec::new();
    let main_list = etc_apt.join("sources.list");
    if main_list.is_file() {
        files.push(main_list);
    }
    let dir = etc_apt.join("sources.list.d");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        // apt itself reads only these two extensions; `*.disabled` and friends stay ignored.
        files.extend(
            names
                .into_iter()
                .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("list" | "sources"))),
        );
    }
    let mut sources = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading apt sources {}", file.display()))?;
        if file.extension().and_then(|e| e.to_str()) == Some("sources") {
            sources.extend(parse_deb822(&text, &file));
        } else {
            sources.extend(parse_one_line(&text, &file));
        }
    }
    Ok(sources)
}

/// The mirror to build from: `FIREDRILL_APT_MIRROR` if set, else the machine's apt sources.
pub fn machine_mirror() -> Result<Mirror> {
    if let Ok(uri) = std::env::var("FIREDRILL_APT_MIRROR") {
        if !uri.trim().is_empty() {
            let uri = uri.trim().trim_end_matches('/').to_string();
            let sources_list = format!("deb {uri} {SUITE} main\ndeb {uri} {SUITE}-updates main\n");
            return Ok(Mirror { uri, sources_list });
        }
    }
    choose_mirror(&read_sources(Path::new("/etc/apt"))?)
}

/// Picks the source serving `bookworm` (or, on another Debian release, the main archive) and
/// the updates/security sources beside it.
pub fn choose_mirror(sources: &[AptSource]) -> Result<Mirror> {
    let serves = |s: &AptSource, suite: &str| s.suites.iter().any(|x| x == suite);
    let main = sources.iter().find(|s| serves(s, SUITE)).or_else(|| {
        sources
            .iter()
            .find(|s| s.uri.trim_end_matches('/').ends_with("/debian"))
    });
    let Some(main) = main else {
        bail!(
            "no Debian mirror in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources: add one \
             (e.g. `deb http://YOUR-MIRROR/debian {SUITE} main`) or set FIREDRILL_APT_MIRROR"
        );
    };
    let main_uri = main.uri.trim_end_matches('/').to_string();
    let mut lines = vec![format!("deb {main_uri} {SUITE} main")];
    for extra in [format!("{SUITE}-updates"), format!("{SUITE}-security")] {
        if let Some(s) = sources.iter().find(|s| serves(s, &extra)) {
            lines.push(format!("deb {} {extra} main", s.uri.trim_end_matches('/')));
        }
    }
    Ok(Mirror {
        uri: main_uri,
        sources_list: lines.join("\n") + "\n",
    })
}

fn parse_one_line(text: &str, file: &Path) -> Vec<AptSource> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut rest = match line.strip_prefix("deb ").or_else(|| line.strip_prefix("deb\t")) {
            Some(rest) => rest.trim_start(),
            None => continue,
        };
        // `[arch=amd64 signed-by=...]` options come before the URI.
        if rest.starts_with('[') {
            match rest.find(']') {
                Some(end) => rest = rest[end + 1..].trim_start(),
                None => continue,
            }
        }
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            continue;
        };
        out.push(AptSource {
            uri: uri.to_string(),
            suites: vec![suite.to_string()],
            components: words.map(str::to_string).collect(),
            file: file.to_path_buf(),
        });
    }
    out
}

fn parse_deb822(text: &str, file: &Path) -> Vec<AptSource> {
    let mut out = Vec::new();
    for paragraph in paragraphs(text) {
        let field = |name: &str| -> Vec<String> {
            paragraph
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default()
        };
        if !field("Types").iter().any(|t| t == "deb") {
            continue;
        }
        if field("Enabled")
            .first()
            .is_some_and(|v| v.eq_ignore_ascii_case("no"))
        {
            continue;
        }
        let suites = field("Suites");
        let components = field("Components");
        for uri in field("URIs") {
            out.push(AptSource {
                uri,
                suites: suites.clone(),
                components: components.clone(),
                file: file.to_path_buf(),
            });
        }
    }
    out
}

/// deb822 paragraphs as (field, value) pairs; continuation lines join their field's value.
fn paragraphs(text: &str) -> Vec<Vec<(String, String)>> {
    let mut all = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            if !current.is_empty() {
                all.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            current.push((key.trim().to_string(), value.trim().to_string()));
        }
    }
    if !current.is_empty() {
        all.push(current);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb822_with_security_and_a_disabled_paragraph() {
        let text = "Types: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb deb-src\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main contrib\n\nTypes: deb\nEnabled: no\nURIs: http://other.example/x\nSuites: bookworm\n";
        let sources = parse_deb822(text, Path::new("debian.sources"));
        assert_eq!(sources.len(), 2);
        let mirror = choose_mirror(&sources).unwrap();
        assert_eq!(mirror.uri, "http://mirror.example/debian");
        assert_eq!(
            mirror.sources_list,
            "deb http://mirror.example/debian bookworm main\n\
             deb http://mirror.example/debian bookworm-updates main\n\
             deb http://mirror.example/debian-security bookworm-security main\n"
        );
    }

    #[test]
    fn one_line_with_options_and_other_release() {
        let text = "# old\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian/ trixie main\ndeb-src http://m.example/debian trixie main\n";
        let sources = parse_one_line(text, Path::new("sources.list"));
        assert_eq!(sources.len(), 1);
        assert_eq!(sources[0].suites, ["trixie"]);
        // A trixie machine still builds bookworm images from its own mirror.
        let mirror = choose_mirror(&sources).unwrap();
        assert_eq!(mirror.sources_list, "deb http://m.example/debian bookworm main\n");
    }

    #[test]
    fn no_debian_source_says_what_to_do() {
        let text = "deb https://packages.example.com/apt cloud main\n";
        let err = choose_mirror(&parse_one_line(text, Path::new("x.list"))).unwrap_err();
        assert!(err.to_string().contains("FIREDRILL_APT_MIRROR"), "{err}");
    }

    #[test]
    fn reads_a_directory_like_etc_apt() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sources.list.d")).unwrap();
        std::fs::write(
            dir.path().join("sources.list.d/debian.sources"),
            "Types: deb\nURIs: http://m.example/debian\nSuites: bookworm\nComponents: main\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("sources.list.d/x.list.disabled-by-admin"),
            "deb http://ignored.example/debian bookworm main\n",
        )
        .unwrap();
        let sources = read_sources(dir.path()).unwrap();
        assert_eq!(sources.len(), 1);
        assert_eq!(sources[0].uri, "http://m.example/debian");
    }
}
