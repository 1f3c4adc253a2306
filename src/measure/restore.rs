//! After a database is restored from a backup: the RPO as a time window (from the restored
//! dump's snapshot to the destroy), and every acknowledged write checked against that window —
//! present if it was acknowledged before the snapshot, missing if it was sent after it and
//! before the destroy, present if it was sent after the destroy (only the restored database
//! could have acknowledged it). Anything else means the restored data is not the dump it is
//! said to be, or the disaster was not one.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Serialize;

use crate::faults::backup::BackupRecord;
use crate::workload::{Outcome, Sample};

/// The definitions a result with backups carries.
pub const DEFINITIONS: &[(&str, &str)] = &[
    ("backup", "a `pg_dump --snapshot` of a snapshot exported with `pg_export_snapshot()` in a REPEATABLE READ transaction firedrill holds open, run from a backup container beside the database and kept there; verified = `pg_dump` exited 0 and `pg_restore --list` read a non-empty table of contents (it reads the table of contents, not every data block); a dump in progress when the database is destroyed is abandoned; the restore takes the latest verified dump whose `pg_dump` finished before the destroy"),
    ("snapshot", "the dump's data is the database as of an instant between sending `SELECT pg_export_snapshot()` (snapshot_from) and receiving its answer (snapshot_to), on the drill's clock"),
    ("consistent_restore", "each acknowledged ledgered write, by when it was sent (scheduled time plus send lag) and acknowledged (scheduled time plus latency): acknowledged before snapshot_from must be present; sent after snapshot_to and before the destroy completed must be missing (committed after the snapshot into the database that was destroyed); sent after the destroy completed must be present (acknowledged by the restored database); in flight across the snapshot window is indeterminate and may be either. Consistent = no write breaks its rule. With nothing restored, every write from before the destroy must be missing"),
];

/// Acknowledged writes of one class, and how many of them read back.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    pub acknowledged: u64,
    pub present: u64,
    pub missing: u64,
    /// Ids that break the class's rule (at most 10).
    pub unexpected_ids: Vec<u64>,
}

impl Tally {
    fn add(&mut self, id: u64, present: bool, expected_present: Option<bool>) {
        self.acknowledged += 1;
        if present {
            self.present += 1;
        } else {
            self.missing += 1;
        }
        if expected_present.is_some_and(|e| e != present) && self.unexpected_ids.len() < 10 {
            self.unexpected_ids.push(id);
        }
    }
}

/// The acknowledged writes against the restored dump's snapshot.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Consistency {
    /// The restored dump's number; `None`: nothing was restored.
    pub restored_dump: Option<u32>,
    /// Acknowledged before the snapshot: must be present.
    pub before_snapshot: Tally,
    /// In flight across the snapshot window: either way.
    pub across_snapshot: Tally,
    /// Sent after the snapshot and before the destroy completed: must be missing.
    pub after_snapshot: Tally,
    /// Sent after the destroy completed: must be present.
    pub after_destroy: Tally,
    pub consistent: bool,
}

/// One database's backups, destroy and restore, with what they mean for the data.
#[derive(Debug, Clone, Serialize)]
pub struct BackupSeen {
    #[serde(flatten)]
    pub record: BackupRecord,
    /// From the restored dump's `snapshot_from` to the destroy's start; `None` when nothing was
    /// restored.
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub rpo: Option<Duration>,
    /// `None` without a destroy and restore, or when the writes could not be read back.
    pub consistency: Option<Consistency>,
}

/// Measures one backup record against the acknowledged writes and the ids read back.
pub fn seen(record: BackupRecord, samples: &[Sample], present: Option<&BTreeSet<u64>>) -> BackupSeen {
    let dump = record.restored_dump();
    let rpo = match (&record.destroyed, dump.and_then(|d| d.snapshot_from)) {
        (Some(destroyed), Some(snapshot)) => Some(destroyed.started_at.saturating_sub(snapshot)),
        _ => None,
    };
    let consistency = match (&record.destroyed, &record.restored, present) {
        (Some(destroyed), Some(_), Some(present)) => {
            let window = dump.and_then(|d| d.snapshot_from.zip(d.snapshot_to));
            let mut c = classify(samples, present, window, destroyed.done_at);
            c.restored_dump = dump.map(|d| d.number);
            Some(c)
        }
        _ => None,
    };
    BackupSeen { record, rpo, consistency }
}

/// Sorts every acknowledged ledgered write into its class; `snapshot` is the restored dump's
/// window (`None`: nothing restored), `destroyed` when the old database was gone.
pub fn classify(samples: &[Sample], present: &BTreeSet<u64>, snapshot: Option<(Duration, Duration)>, destroyed: Duration) -> Consistency {
    let mut c = Consistency::default();
    for s in samples {
        let (Some(id), Outcome::Status(200..=299)) = (s.ledger_id, s.outcome) else { continue };
        let sent = s.scheduled + s.send_lag;
        let acknowledged = s.scheduled + s.latency;
        let here = present.contains(&id);
        if sent >= destroyed {
            c.after_destroy.add(id, here, Some(true));
            continue;
        }
        match snapshot {
            None => c.after_snapshot.add(id, here, Some(false)),
            Some((from, _)) if acknowledged < from => c.before_snapshot.add(id, here, Some(true)),
            Some((_, to)) if sent > to => c.after_snapshot.add(id, here, Some(false)),
            Some(_) => c.across_snapshot.add(id, here, None),
        }
    }
    c.consistent = c.before_snapshot.missing == 0 && c.after_snapshot.present == 0 && c.after_destroy.missing == 0;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write sent at `sent_ms` and acknowledged `took_ms` later.
    fn write(id: u64, sent_ms: u64, took_ms: u64) -> Sample {
        Sample {
            scheduled: Duration::from_millis(sent_ms),
            latency: Duration::from_millis(took_ms),
            send_lag: Duration::ZERO,
            request: 1,
            outcome: Outcome::Status(201),
            ledger_id: Some(id),
        }
    }

    fn ms(x: u64) -> Duration {
        Duration::from_millis(x)
    }

    #[test]
    fn writes_fall_on_their_side_of_the_snapshot() {
        // Snapshot between 1000 and 1002 ms; destroyed by 3000 ms.
        let samples = vec![
            write(1, 900, 50),   // acknowledged at 950: before
            write(2, 990, 20),   // in flight at the snapshot: across
            write(3, 1001, 5),   // sent inside the window: across
            write(4, 1500, 5),   // after
            write(5, 3500, 5),   // after the destroy
            Sample { outcome: Outcome::Timeout, ..write(6, 950, 2000) },
        ];
        let present: BTreeSet<u64> = [1, 2, 5].into_iter().collect();
        let c = classify(&samples, &present, Some((ms(1000), ms(1002))), ms(3000));
        assert!(c.consistent, "{c:?}");
        assert_eq!((c.before_snapshot.present, c.across_snapshot.acknowledged, c.after_snapshot.missing, c.after_destroy.present), (1, 2, 1, 1));
    }

    #[test]
    fn a_write_missing_before_the_snapshot_or_present_after_it_is_inconsistent() {
        let samples = vec![write(1, 100, 10), write(2, 1500, 10), write(3, 3500, 10)];
        let lost_early: BTreeSet<u64> = BTreeSet::new();
        let c = classify(&samples, &lost_early, Some((ms(1000), ms(1001))), ms(3000));
        assert!(!c.consistent);
        assert_eq!((c.before_snapshot.unexpected_ids.clone(), c.after_destroy.unexpected_ids.clone()), (vec![1], vec![3]));
        // Everything present: the "destroyed" database was not destroyed.
        let all: BTreeSet<u64> = [1, 2, 3].into_iter().collect();
        let c = classify(&samples, &all, Some((ms(1000), ms(1001))), ms(3000));
        assert!(!c.consistent);
        assert_eq!(c.after_snapshot.unexpected_ids, vec![2]);
        // Nothing restored: every write from before the destroy must be missing.
        let only_after: BTreeSet<u64> = [3].into_iter().collect();
        let c = classify(&samples, &only_after, None, ms(3000));
        assert!(c.consistent, "{c:?}");
        assert_eq!(c.after_snapshot.missing, 2);
    }
}
