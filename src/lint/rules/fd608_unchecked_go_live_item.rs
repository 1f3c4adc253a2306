use std::sync::LazyLock;

use regex::Regex;

use crate::claims::ClaimKind;
use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports each unchecked item (`- [ ]`) of a go-live checklist: a task list under a heading
    /// about going live (`Go-live checklist`, `Launch checklist`, `Checklist de puesta en
    /// producción`, `Production readiness`, `Pre-launch`). Task lists elsewhere (a to-do in a
    /// post-mortem, steps of a procedure) are left alone.
    ///
    /// ## Why is this bad?
    /// The checklist is the team's own list of what must be true before customers depend on the
    /// service. An unchecked "restore tested end to end" on a service already in production means
    /// the backups have never been restored. It is `info`: the item may be planned work, but it
    /// should be visible in every lint run until it is done or removed.
    ///
    /// ## Example
    /// ```markdown
    /// ## 10. Checklist de puesta en producción
    ///
    /// - [x] Copias diarias configuradas en cron
    /// - [ ] Simulacro de restauración completo en el VPS de reserva
    /// ```
    pub struct UncheckedGoLiveItem {
        code: "FD608",
        name: "unchecked-go-live-item",
        severity: Info,
        summary: "A go-live checklist item is not checked",
    }
}

static GO_LIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)go[- ]live|launch|lanzamiento|puesta en (producci[oó]n|marcha)|paso a producci[oó]n|salida a producci[oó]n|production readiness|pre-?production|antes de (producci[oó]n|salir)|readiness|cut-?over").unwrap()
});

impl Rule for UncheckedGoLiveItem {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for claim in cx.claims {
            let ClaimKind::Checklist(list) = &claim.kind else { continue };
            if list.unchecked == 0 || !GO_LIVE.is_match(&list.title) {
                continue;
            }
            for item in list.items.iter().filter(|i| !i.checked) {
                let first_line = cx.runbook.source.line_span(cx.runbook.source.line_index(item.span.start));
                let span = item.span.start..first_line.end.max(item.span.start);
                out.push(
                    Finding::new(span, format!("go-live checklist item not done: “{}”", item.text.lines().next().unwrap_or("")))
                        .help("do it and check it, or take it off the list with the reason it does not apply"),
                );
            }
        }
    }
}
