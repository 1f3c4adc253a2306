//! Acknowledged writes lost (Jepsen's set checker): every ledgered write carries a unique id;
//! after recovery every id is read back. Lost = acknowledged (2xx) and missing. A write that
//! timed out or whose connection died is indeterminate: it may or may not have committed.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::workload::{Outcome, Sample};

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LedgerReport {
    pub attempted: u64,
    pub acknowledged: u64,
    /// Timed out or cut off: not counted as lost either way.
    pub indeterminate: u64,
    /// Refused with an error status: must not be present, and is not counted as lost.
    pub rejected: u64,
    /// Acknowledged and found on read-back.
    pub confirmed: u64,
    pub lost: u64,
    /// The lost ids, oldest first (at most 100 kept for the report).
    pub lost_ids: Vec<u64>,
    /// Scheduled time of the oldest lost write, from the start of the load.
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub oldest_lost_at: Option<Duration>,
    /// Rejected writes that are present anyway (the service said no but committed).
    pub phantom: u64,
}

/// Compares what the service acknowledged with what it has after recovery.
pub fn check(samples: &[Sample], present: &BTreeSet<u64>) -> LedgerReport {
    let mut r = LedgerReport::default();
    for s in samples {
        let Some(id) = s.ledger_id else { continue };
        r.attempted += 1;
        match s.outcome {
            Outcome::Status(code) if (200..300).contains(&code) => {
                r.acknowledged += 1;
                if present.contains(&id) {
                    r.confirmed += 1;
                } else {
                    r.lost += 1;
                    if r.lost_ids.len() < 100 {
                        r.lost_ids.push(id);
                    }
                    r.oldest_lost_at = Some(r.oldest_lost_at.map_or(s.scheduled, |t: Duration| t.min(s.scheduled)));
                }
            }
            Outcome::Status(_) => {
                r.rejected += 1;
                if present.contains(&id) {
                    r.phantom += 1;
                }
            }
            Outcome::Timeout | Outcome::Connect => r.indeterminate += 1,
        }
    }
    r
}

/// Reads every ledgered id back through the service (`path` like `/orders/{id}`: 200 = present,
/// 404 = absent). Any other answer is an error: the read-back must be trustworthy.
pub async fn read_back(base_url: &str, path: &str, samples: &[Sample]) -> anyhow::Result<BTreeSet<u64>> {
    use futures_util::stream::{self, StreamExt};
    let client = crate::workload::client(Duration::from_secs(10));
    let ids: Vec<u64> = samples.iter().filter_map(|s| s.ledger_id).collect();
    let base = base_url.trim_end_matches('/');
    let results: Vec<anyhow::Result<Option<u64>>> = stream::iter(ids)
        .map(|id| {
            let client = client.clone();
            let url = format!("{base}{}", path.replace("{id}", &id.to_string()));
            async move {
                let status = client.get(&url).send().await?.status().as_u16();
                match status {
                    200 => Ok(Some(id)),
                    404 => Ok(None),
                    other => anyhow::bail!("read-back of write {id} answered {other}; cannot tell whether it was lost"),
                }
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut present = BTreeSet::new();
    for r in results {
        if let Some(id) = r? {
            present.insert(id);
        }
    }
    Ok(present)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(id: u64, outcome: Outcome) -> Sample {
        Sample { scheduled: Duration::from_millis(id * 10), latency: Duration::ZERO, send_lag: Duration::ZERO, request: 1, outcome, ledger_id: Some(id) }
    }

    #[test]
    fn lost_is_acknowledged_and_missing_only() {
        let samples = vec![
            write(1, Outcome::Status(201)),
            write(2, Outcome::Status(201)),
            write(3, Outcome::Timeout),
            write(4, Outcome::Status(503)),
            write(5, Outcome::Status(201)),
        ];
        let present: BTreeSet<u64> = [1, 4].into_iter().collect();
        let r = check(&samples, &present);
        assert_eq!((r.acknowledged, r.confirmed, r.lost, r.indeterminate, r.rejected, r.phantom), (3, 1, 2, 1, 1, 1));
        assert_eq!(r.lost_ids, vec![2, 5]);
        assert_eq!(r.oldest_lost_at, Some(Duration::from_millis(20)));
    }
}
