use crate::claims;
use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Finds a "next review" date that is already in the past: `Próxima revisión: 1 de marzo de
    /// 2025`, `Next review: 2025-03-01`, `Review by March 1, 2025`. "Today" is the clock's date, or
    /// `today` in `firedrill.toml` / `--today` (tests pin it).
    ///
    /// ## Why is this bad?
    /// A runbook past its review date describes a system that has probably changed since: renamed
    /// containers, a new Postgres major version, different on-call numbers. The date was the
    /// team's own promise to check; missing it is the first sign nobody owns the page.
    ///
    /// ## Example
    /// ```markdown
    /// Próxima revisión: 1 de marzo de 2025
    /// ```
    ///
    /// ## Fix
    /// Review the runbook (run its procedures in a drill), then move the date forward.
    pub struct ReviewOverdue {
        code: "FD102",
        name: "review-overdue",
        severity: Warning,
        summary: "The runbook's next review date has passed",
    }
}

impl Rule for ReviewOverdue {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let today = cx.config.today();
        for (claim, review) in claims::reviews(cx.claims) {
            if review.date < today {
                let overdue = (today - review.date).get_days();
                out.push(
                    Finding::new(
                        claim.span.clone(),
                        format!("next review was due on {} ({} days ago)", review.date, overdue),
                    )
                    .help("review the procedures (ideally in a drill) and set a new date"),
                );
            }
        }
    }
}
