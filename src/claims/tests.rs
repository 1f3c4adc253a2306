use std::path::Path;
use std::time::Duration;

use super::*;
use crate::units::{Deadline, Percent, Size};

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
    assert_eq!(
        (r.response, r.resolution),
        (Some(Deadline::Clock(Duration::from_secs(15 * MIN))), Some(Deadline::Clock(Duration::from_secs(4 * HOUR))))
    );
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

fn listing(c: &[Claim]) -> Vec<String> {
    c.iter().map(|c| format!("{} {} {}: {}", c.line, c.kind_name(), c.subject(), c.statement())).collect()
}

#[test]
fn backup_time_column_in_english_keeps_the_schedule_as_written() {
    let c = claims(
        "| Store | Frequency | Time (UTC) | Retention |\n|---|---|---|---|\n| Base backup | Daily | 02:10 | 14 days |\n| Logical dump | Every 6 hours | 00:40, 06:40, 12:40, 18:40 | 7 days |\n| Redis RDB | Every hour | minute 05 | 48 hours |\n| Config | Weekly | Sunday 03:00 | 8 weeks |\n| WAL | Continuous | — | 14 days |\n\n| Almacén | Frecuencia | Hora | Retención |\n|---|---|---|---|\n| Redis | Cada hora | al minuto 05 | 2 días |\n\n| Store | Frequency | Time | Retention |\n|---|---|---|---|\n| Uploads | Weekly | after the dump | 4 weeks |\n",
    );
    let times: Vec<Option<&str>> = c
        .iter()
        .map(|c| match &c.kind {
            ClaimKind::Backup(b) => b.time_of_day.as_deref(),
            _ => panic!("{c:?}"),
        })
        .collect();
    assert_eq!(
        times,
        vec![Some("02:10"), Some("00:40, 06:40, 12:40, 18:40"), Some("minute 05"), Some("Sunday 03:00"), None, Some("minuto 05"), None]
    );
    assert_eq!(c[3].statement(), "every 7 d, at Sunday 03:00, kept 56 d");
}

#[test]
fn duration_headers_are_not_time_of_day_columns() {
    let c = claims("| Severity | Response time | Resolution time |\n|---|---|---|\n| P1 | 5 min | 1 h |\n");
    assert_eq!(listing(&c), vec!["3 response P1: respond 5 min, resolve 1 h"]);
}

#[test]
fn recovery_in_prose_needs_a_scenario_subject() {
    let explained = claims(
        "## 2.2 Recovery objectives\n\nThe RPO of 5 minutes holds because WAL is archived at least every 60 seconds and the archive is\nsynced offsite every minute; the RPO of 1 hour for Redis is the hourly RDB copy.\n\nLa base de datos tiene un RTO de 15 min desde el aviso.\n\nRPO of 1 hour for Redis is the hourly copy.\n\nNuestro compromiso es un RPO de 5 min.\n",
    );
    assert!(explained.is_empty(), "{explained:#?}");
    let stated = claims("## Recuperación\n\n- Host lost (RTO 30 min, RPO 5 min)\n- Base de datos caída: RTO 15 min y RPO 0\n- RTO: 2 h for the API\n");
    assert_eq!(
        listing(&stated),
        vec![
            "3 recovery Host lost: RTO 30 min, RPO 5 min",
            "4 recovery Base de datos caída: RTO 15 min, RPO 0 s",
            "5 recovery Recuperación: RTO 2 h",
        ]
    );
}

#[test]
fn task_items_are_checklist_items_not_policies() {
    let c = claims(
        "## 11. Go-live checklist\n\n- [x] Logical dump every 6 hours, verified with `pg_restore --list`\n- [x] RTO 15 min measured in the drill\n- [ ] Alert when error rate > 1 % for 5 min\n",
    );
    assert_eq!(listing(&c), vec!["3 checklist 11. Go-live checklist: 2/3 checked"]);
}

#[test]
fn response_times_in_business_days() {
    let c = claims(
        "| Severity | Acknowledge | Resolve |\n|---|---|---|\n| P2 | 30 min | 1 business day |\n| P3 | 1 business day | 5 business days |\n| P4 | next business day | 2-3 working days |\n\n| Severidad | Respuesta | Resolución |\n|---|---|---|\n| P3 | 1 día laborable | 5 días hábiles |\n",
    );
    assert_eq!(
        listing(&c),
        vec![
            "3 response P2: respond 30 min, resolve 1 business day",
            "4 response P3: respond 1 business day, resolve 5 business days",
            "5 response P4: resolve 3 business days",
            "9 response P3: respond 1 business day, resolve 5 business days",
        ]
    );
    let ClaimKind::Response(r) = &c[1].kind else { panic!() };
    assert_eq!((r.response, r.resolution), (Some(Deadline::BusinessDays(1.0)), Some(Deadline::BusinessDays(5.0))));
    let json = serde_json::to_value(&c[1]).unwrap();
    assert_eq!((json["response"].as_str(), json["resolution"].as_str()), (Some("1 business day"), Some("5 business days")));
    // A business day is no interval: `cada día laborable` is no backup frequency.
    assert!(claims("- Backups de Postgres cada día laborable a las 02:00, se conservan 7 días\n").is_empty());
}

#[test]
fn prometheus_memory_rules_with_constant_arithmetic() {
    let src = "```yaml\ngroups:\n  - name: shop\n    rules:\n      - alert: RedisMemoryHigh\n        expr: redis_memory_used_bytes > 700 * 1024 * 1024\n        for: 10m\n        labels:\n          severity: warning\n      - alert: ContainerMemory\n        expr: container_memory_usage_bytes / container_spec_memory_limit_bytes > 0.9\n      - alert: RedisMemoryScaled\n        expr: redis_memory_used_bytes / 1024 / 1024 > 700\n```\n";
    let c = claims(src);
    let a: Vec<(usize, Quantity)> = alerts(&c).map(|(c, a)| (c.line, a.threshold)).collect();
    assert_eq!(a, vec![(5, Quantity::Size(Size { bytes: 700 * 1024 * 1024 })), (10, Quantity::Percent(Percent(90.0)))]);
    assert_eq!(c[0].statement(), "memory > 700 MiB for 10 min (warning)");
}

#[test]
fn rates_read_as_rates_in_statements() {
    let c = claims("## Objectives\n\n- Throughput: > 80 req/s\n- Throughput at night: ≥ 30 req/min\n");
    assert_eq!(listing(&c), vec!["3 objective throughput: > 80/s", "4 objective throughput: ≥ 30/min"]);
}

#[test]
fn rate_limiter_settings_are_not_objectives() {
    let c = claims(
        "### 1.2 El raspador de tarifas\n\n- **Limitador de peticiones** (*token bucket* en Redis): como máximo 2 peticiones por segundo a\n  cada proveedor.\n\n## Objetivos\n\n- Rate limit toward the supplier: at most 2 req/s\n- Throughput: > 100 req/s\n",
    );
    assert_eq!(listing(&c), vec!["9 objective throughput: > 100/s"]);
    // In a `Key: value` line the key names the metric; a rate unit in the value does not.
    assert!(claims("- Cola de trabajos: como máximo 5 peticiones por segundo\n").is_empty());
}

#[test]
fn rto_rpo_labels_qualified_by_a_name_starting_with_r() {
    let c = claims("### 3.2 RTO y RPO\n\n- RTO máximo: 30 minutos\n- RPO de Postgres: 5 minutos (WAL archivado)\n- RPO de Redis: 1 hora\n- RTO 15 min, RPO 1 h\n");
    assert_eq!(
        listing(&c),
        vec![
            "3 recovery 3.2 RTO y RPO: RTO 30 min",
            "4 recovery Postgres: RPO 5 min",
            "5 recovery Redis: RPO 1 h",
            "6 recovery 3.2 RTO y RPO: RTO 15 min, RPO 1 h",
        ]
    );
}

#[test]
fn objective_tables_headed_objective_and_target() {
    // `| Objective | Target |`: the first column names the metric, the second holds the value.
    let c = claims(
        "| Objective | Target | Measured over |\n|---|---|---|\n| Uptime | ≥ 99.95% | calendar month |\n| p95 latency (checkout API) | < 300 ms | rolling 7 days |\n\n## Summary\n\n- Uptime: 99.95% per month\n",
    );
    let got: Vec<String> = c.iter().map(|c| format!("{} {} {}", c.line, c.subject(), c.statement())).collect();
    assert_eq!(got, vec!["3 availability ≥ 99.95 %", "4 latency p95 < 300 ms", "8 availability ≥ 99.95 %"]);
}
