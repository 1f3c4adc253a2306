//! Helpers shared by the drill tests.

use std::process::Command;

/// The containers, networks and named volumes that carry `label` (`key=value`) and still exist, by name.
pub fn labelled(label: &str) -> Vec<String> {
    let filter = format!("label={label}");
    let mut found = Vec::new();
    let listings: [&[&str]; 3] = [
        &["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"],
        &["network", "ls", "--filter", &filter, "--format", "{{.Name}}"],
        &["volume", "ls", "--filter", &filter, "--format", "{{.Name}}"],
    ];
    for what in listings {
        let out = Command::new("docker").args(what).output().expect("docker");
        found.extend(String::from_utf8_lossy(&out.stdout).lines().map(str::to_string));
    }
    found
}

/// What is left of a drill's run: nothing, once the drill has returned.
pub fn leftovers(run_id: &str) -> Vec<String> {
    labelled(&format!("firedrill.run={run_id}"))
}
