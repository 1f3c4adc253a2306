//! The rule catalog. A new rule is one new file here plus one line in `ALL`.
//!
//! Codes by family: `FD1xx` the document, `FD2xx` shell, `FD3xx` SQL, `FD4xx` PromQL,
//! `FD5xx` secrets and placeholders, `FD6xx` claims and their consistency.

use super::Rule;

mod fd101_encoding_repaired;
mod fd102_review_overdue;
mod fd103_suppression_without_reason;
mod fd104_missing_script;
mod fd105_code_block_without_language;
mod fd106_fence_language_mismatch;
mod fd201_shell_syntax_error;
mod fd202_sql_in_shell_block;
mod fd203_interactive_in_script;
mod fd204_sql_keyword_as_command;
mod fd205_unguarded_destructive_step;
mod fd206_restore_hides_failure;
mod fd207_backup_failure_masked;
mod fd208_backup_not_verified;
mod fd209_redis_restore_while_running;
mod fd210_fixed_sleep_as_wait;
mod fd211_deprecated_tool;
mod fd301_catalog_drift;
mod fd302_lock_heavy_maintenance;
mod fd303_terminate_own_backend;
mod fd304_terminate_unscoped;
mod fd305_custom_setting_without_prefix;
mod fd306_not_allowed_in_transaction;
mod fd401_invalid_promql;
mod fd402_rate_of_non_counter;
mod fd403_histogram_quantile_without_le;
mod fd501_hardcoded_secret;
mod fd502_placeholder;
mod fd503_secret_printed;
mod fd504_secret_in_sql_text;
mod fd505_secret_in_archive;
mod fd506_secret_written_to_file;
mod fd601_alert_looser_than_objective;
mod fd602_rpo_exceeds_backup_interval;
mod fd603_rpo_zero_without_replication;
mod fd604_rto_exceeds_error_budget;
mod fd605_resolution_exceeds_error_budget;
mod fd606_conflicting_objectives;
mod fd607_impossible_backup_type;
mod fd608_unchecked_go_live_item;

static ALL: &[&dyn Rule] = &[
    &fd101_encoding_repaired::EncodingRepaired,
    &fd102_review_overdue::ReviewOverdue,
    &fd103_suppression_without_reason::SuppressionWithoutReason,
    &fd104_missing_script::MissingScript,
    &fd105_code_block_without_language::CodeBlockWithoutLanguage,
    &fd106_fence_language_mismatch::FenceLanguageMismatch,
    &fd201_shell_syntax_error::ShellSyntaxError,
    &fd202_sql_in_shell_block::SqlInShellBlock,
    &fd203_interactive_in_script::InteractiveInScript,
    &fd204_sql_keyword_as_command::SqlKeywordAsCommand,
    &fd205_unguarded_destructive_step::UnguardedDestructiveStep,
    &fd206_restore_hides_failure::RestoreHidesFailure,
    &fd207_backup_failure_masked::BackupFailureMasked,
    &fd208_backup_not_verified::BackupNotVerified,
    &fd209_redis_restore_while_running::RedisRestoreWhileRunning,
    &fd210_fixed_sleep_as_wait::FixedSleepAsWait,
    &fd211_deprecated_tool::DeprecatedTool,
    &fd301_catalog_drift::CatalogDrift,
    &fd302_lock_heavy_maintenance::LockHeavyMaintenance,
    &fd303_terminate_own_backend::TerminateOwnBackend,
    &fd304_terminate_unscoped::TerminateUnscoped,
    &fd305_custom_setting_without_prefix::CustomSettingWithoutPrefix,
    &fd306_not_allowed_in_transaction::NotAllowedInTransaction,
    &fd401_invalid_promql::InvalidPromql,
    &fd402_rate_of_non_counter::RateOfNonCounter,
    &fd403_histogram_quantile_without_le::HistogramQuantileWithoutLe,
    &fd501_hardcoded_secret::HardcodedSecret,
    &fd502_placeholder::Placeholder,
    &fd503_secret_printed::SecretPrinted,
    &fd504_secret_in_sql_text::SecretInSqlText,
    &fd505_secret_in_archive::SecretInArchive,
    &fd506_secret_written_to_file::SecretWrittenToFile,
    &fd601_alert_looser_than_objective::AlertLooserThanObjective,
    &fd602_rpo_exceeds_backup_interval::RpoExceedsBackupInterval,
    &fd603_rpo_zero_without_replication::RpoZeroWithoutReplication,
    &fd604_rto_exceeds_error_budget::RtoExceedsErrorBudget,
    &fd605_resolution_exceeds_error_budget::ResolutionExceedsErrorBudget,
    &fd606_conflicting_objectives::ConflictingObjectives,
    &fd607_impossible_backup_type::ImpossibleBackupType,
    &fd608_unchecked_go_live_item::UncheckedGoLiveItem,
];

/// Every rule, ordered by code.
pub fn all() -> &'static [&'static dyn Rule] {
    ALL
}

/// The rule with this code (case-insensitive) or name.
pub fn find(code_or_name: &str) -> Option<&'static dyn Rule> {
    ALL.iter()
        .copied()
        .find(|r| r.meta().code.eq_ignore_ascii_case(code_or_name) || r.meta().name == code_or_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_documented() {
        let codes: Vec<&str> = ALL.iter().map(|r| r.meta().code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted, "codes must be unique and listed in order");
        for r in ALL {
            let m = r.meta();
            assert!(m.code.len() == 5 && m.code.starts_with("FD"), "{}", m.code);
            assert!(m.docs.contains("## What it does"), "{} lacks docs", m.code);
            assert!(m.docs.contains("## Example"), "{} lacks an example", m.code);
            assert!(!m.summary.is_empty());
        }
    }
}
