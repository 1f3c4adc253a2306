use std::path::Path;
use std::time::Duration;

use super::*;
use crate::units::Percent;

fn claims(src: &str) -> Vec<Claim> {
    extract(&Runbook::from_text(Path::new("t.md"), src))
}

const MIN: u64 = 60;
const HOUR: u64 = 3600;

#[test]
fn recovery_table_in_spanish() {
    let c = claims(
        "## 4. Recuperación\n\n| Escenario | RTO | RPO |\n|---|---|---|\n| Contenedor caído | 15 minutos | 0 |\n| Pérdida del servidor | 4 horas | 24 horas |\n| Desconocido | N/A | - |\n",
    );
    assert_eq!(c.len(), 2, "{c:#?}");
    assert_eq!(c[0].line, 5);
    assert_eq!(
        c[0].kind,
        ClaimKind::Recovery(Recovery {
            scenario: "Contenedor caído".into(),
            rto: Some(Duration::from_secs(15 * MIN)),
            rpo: Some(Duration::ZERO)
        })
    );
    assert_eq!(c[1].statement(), "RTO 4 h, RPO 1 d");
    assert_eq!(c[0].section, "4. Recuperación");
}

#[test]
fn backup_table() {
    let c = claims(
        "| Almacén | Frecuencia | Retención | Herramienta |\n|---|---|---|---|\n| PostgreSQL | Cada 6 horas | 7 días | pg_dump |\n| Redis | Diario (03:30) | 4 semanas | RDB |\n| WAL | Continuous | 7 days | wal-g |\n",
    );
    assert_eq!(c.len(), 3, "{c:#?}");
    let ClaimKind::Backup(b) = &c[0].kind else { panic!() };
    assert_eq!(b.frequency, Some(Frequency::Every(Duration::from_secs(6 * HOUR))));
    assert_eq!(b.retention, Some(Duration::from_secs(7 * 86_400)));
    assert_eq!(b.method.as_deref(), Some("pg_dump"));
    let ClaimKind::Backup(r) = &c[1].kind else { panic!() };
    assert_eq!(r.time_of_day.as_deref(), Some("03:30"));
    assert_eq!(r.frequency, Some(Frequency::Every(Duration::from_secs(86_400))));
    let ClaimKind::Backup(w) = &c[2].kind else { panic!() };
    assert_eq!(w.frequency, Some(Frequency::Continuous));
}

#[test]
fn objectives_table_and_lists() {
    let c = claims(
        "## Objetivos (SLO)\n\n| Métrica | Objetivo |\n|---|---|\n| Disponibilidad | ≥ 99,9 % |\n| Tasa de errores | < 1 % |\n| Latencia p95 | 500 ms |\n\n- Throughput: > 100 req/s\n- Tiempo de despliegue: < 10 min\n",
    );
    let o: Vec<(Metric, Comparison, Quantity)> = objectives(&c).map(|(_, o)| (o.metric, o.comparison, o.value)).collect();
    assert_eq!(
        o,
        vec![
            (Metric::Availability, Comparison::Ge, Quantity::Percent(Percent(99.9))),
            (Metric::ErrorRate, Comparison::Lt, Quantity::Percent(Percent(1.0))),
            (Metric::Latency(LatencyStat::P95), Comparison::Le, Quantity::Duration(Duration::from_millis(500))),
            (Metric::Throughput, Comparison::Gt, Quantity::Rate(crate::units::Rate { per_second: 100.0 })),
            (Metric::DeployTime, Comparison::Lt, Quantity::Duration(Duration::from_secs(600))),
        ]
    );
}

#[test]
fn alerts_from_tables_text_and_prometheus_rules() {
    let src = "## Alertas\n\n| Alerta | Condición | Severidad |\n|---|---|---|\n| Errores altos | Tasa de errores > 10% por 5min | critical |\n\n- Latencia p95 > 2 s durante 10 min: aviso a Slack (warning)\n\n```yaml\ngroups:\n  - name: api\n    rules:\n      - alert: HighErrorRate\n        expr: sum(rate(http_requests_total{status=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m])) > 0.05\n        for: 5m\n        labels:\n          severity: page\n```\n";
    let c = claims(src);
    let a: Vec<_> = alerts(&c).map(|(c, a)| (c.line, a.metric, a.threshold, a.for_duration, a.severity.clone())).collect();
    assert_eq!(
        a,
        vec![
            (5, Metric::ErrorRate, Quantity::Percent(Percent(10.0)), Some(Duration::from_secs(300)), Some("critical".into())),
            (7, Metric::Latency(LatencyStat::P95), Quantity::Duration(Duration::from_secs(2)), Some(Duration::from_secs(600)), Some("warning".into())),
            (13, Metric::ErrorRate, Quantity::Percent(Percent(5.0)), Some(Duration::from_secs(300)), Some("page".into())),
        ]
    );
}

#[test]
fn response_times_checklists_and_review_dates() {
    let src = "## Respuesta a incidentes\n\n| Severidad | Respuesta | Resolución |\n|---|---|---|\n| P1 | 15 min | 1-4 h |\n\n## Checklist go-live\n\n- [x] Backups verificados\n- [ ] Alertas probadas\n\nPróxima revisión: 1 de marzo de 2025\n";
    let c = claims(src);
    let kinds: Vec<&str> = c.iter().map(|c| c.kind_name()).collect();
    assert_eq!(kinds, vec!["response", "checklist", "review"]);
    let ClaimKind::Response(r) = &c[0].kind else { panic!() };
    assert_eq!((r.response, r.resolution), (Some(Duration::from_secs(15 * MIN)), Some(Duration::from_secs(4 * HOUR))));
    let ClaimKind::Checklist(k) = &c[1].kind else { panic!() };
    assert_eq!((k.checked, k.unchecked, k.items[1].line), (1, 1, 10));
    let ClaimKind::Review(d) = &c[2].kind else { panic!() };
    assert_eq!(d.date, jiff::civil::date(2025, 3, 1));
    assert_eq!(c[2].line, 12);
}

#[test]
fn rto_rpo_and_backups_in_lists() {
    let c = claims("## Base de datos caída\n\n- RTO: 15 minutos\n- RPO: 1 hora\n- Backups de Postgres cada 6 horas, se conservan 7 días\n");
    let s: Vec<String> = c.iter().map(|c| format!("{} {}: {}", c.kind_name(), c.subject(), c.statement())).collect();
    assert_eq!(
        s,
        vec![
            "recovery Base de datos caída: RTO 15 min",
            "recovery Base de datos caída: RPO 1 h",
            "backup Postgres: every 6 h, kept 7 d",
        ]
    );
}

#[test]
fn prose_without_promises_yields_nothing() {
    let c = claims("Reinicia el contenedor y espera 30 segundos.\n\nEl error rate subió ayer al 12 % durante el incidente.\n\n- Ejecuta `docker compose ps`\n");
    assert!(c.is_empty(), "{c:#?}");
}
