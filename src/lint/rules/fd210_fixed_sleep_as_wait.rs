use crate::declare_rule;
use crate::lint::ops;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::shell;

declare_rule! {
    /// ## What it does
    /// Finds a fixed `sleep` used as the wait between starting a service and using it:
    /// `docker compose restart kong && sleep 20 && curl ...`, `docker compose up -d db; sleep 60;
    /// psql ...`, `systemctl restart api; sleep 10; ...`. A `sleep` inside a loop that polls
    /// (`until pg_isready; do sleep 2; done`) is how waiting should look and is left alone.
    ///
    /// ## Why is this bad?
    /// The service is ready when it is ready, not after N seconds. On a loaded host, after a crash
    /// recovery or with a cold cache it takes longer, and the next step (the health check, the
    /// restore) runs against a server that is still starting: the check fails and sends the
    /// on-call the wrong way, or the restore errors out half-way. When it starts faster, the
    /// incident waits for nothing.
    ///
    /// ## Example
    /// ```bash
    /// docker compose restart api; sleep 15; curl -fsS http://localhost:8080/healthz
    /// ```
    ///
    /// Use instead (poll, with a deadline):
    /// ```bash
    /// docker compose restart api
    /// deadline=$((SECONDS + 90))
    /// until curl -fsS -o /dev/null http://localhost:8080/healthz; do
    ///   (( SECONDS < deadline )) || { echo "api not healthy after 90 s" >&2; exit 1; }
    ///   sleep 2
    /// done
    /// ```
    ///
    /// ## Fix
    /// Poll the readiness check (`pg_isready`, `redis-cli ping`, the health endpoint) in an
    /// `until` loop with a deadline, or use `docker compose up --wait` with a healthcheck.
    pub struct FixedSleepAsWait {
        code: "FD210",
        name: "fixed-sleep-as-wait",
        severity: Warning,
        summary: "A fixed sleep stands in for waiting until a restarted service is ready",
    }
}

impl Rule for FixedSleepAsWait {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for block in cx.runbook.blocks.iter().filter(|b| b.is_shell()) {
            if !block.content.text.contains("sleep") {
                continue;
            }
            let analysed = shell::analyse(block);
            let steps: Vec<_> = ops::steps(&analysed).collect();
            for (i, cmd) in steps.iter().enumerate() {
                if cmd.in_loop || cmd.program().as_deref() != Some("sleep") || i == 0 || i + 1 == steps.len() {
                    continue;
                }
                let Some(started) = ops::starts_service(&ops::invocation(steps[i - 1])) else { continue };
                let next = ops::invocation(steps[i + 1]).program().unwrap_or_default();
                let seconds = cmd.args().first().map(|w| w.text.clone()).unwrap_or_default();
                out.push(
                    Finding::new(
                        block.content.source_range(cmd.span.clone()),
                        format!("`sleep {seconds}` after `{started}` guesses how long the service takes to be ready: `{next}` then runs whether it is or not"),
                    )
                    .help("poll the readiness check in an `until` loop with a deadline (or `docker compose up --wait`)"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::FixedSleepAsWait, src)
    }

    #[test]
    fn sleep_after_restart() {
        let src = "```bash\ndocker compose restart kong && sleep 20 && curl -fsS http://localhost:8000/\n```\n";
        let got = run(src);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0, got[0].1), (2, 32));
        assert!(got[0].2.contains("`sleep 20` after `docker compose restart`"), "{}", got[0].2);
    }

    #[test]
    fn polling_and_unrelated_sleeps_are_fine() {
        let src = "```bash\ndocker compose up -d db\nuntil pg_isready -q; do sleep 2; done\necho start; sleep 5; echo again\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
