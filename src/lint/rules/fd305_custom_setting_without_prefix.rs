use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::embedded::sql_tokens::{self, Token, TokenKind};

declare_rule! {
    /// ## What it does
    /// Finds settings that are neither PostgreSQL's own nor named with a prefix: `SET
    /// raspador_lote = '500'`, `SET LOCAL feature_flags TO 'x'`, `ALTER SYSTEM SET my_setting`,
    /// `ALTER DATABASE shop SET maintenance_mode = 'on'`, `ALTER ROLE app SET modo = 'x'`, `SHOW`
    /// and `RESET` of such a name, and `current_setting('name')` / `set_config('name', ...)`.
    /// Names are checked against the settings of PostgreSQL 12 to 17 (removed ones included:
    /// FD301 reports those); `current_setting('x', true)`, which tolerates a missing setting, is
    /// left alone.
    ///
    /// ## Why is this bad?
    /// PostgreSQL accepts an unknown setting only when its name has a dot (`app.batch_size`): a
    /// "custom option" of an extension or the application. Without one the statement fails with
    /// `unrecognized configuration parameter "raspador_lote"`, and in a transaction it aborts
    /// everything after it.
    ///
    /// ## Example
    /// ```sql
    /// SET raspador_lote = '500';
    /// SELECT current_setting('raspador_lote');
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// SET app.raspador_lote = '500';
    /// SELECT current_setting('app.raspador_lote');
    /// ```
    pub struct CustomSettingWithoutPrefix {
        code: "FD305",
        name: "custom-setting-without-prefix",
        severity: Error,
        summary: "A setting that is not PostgreSQL's has no `prefix.` (unrecognized configuration parameter)",
    }
}

/// PostgreSQL's settings, 12 to 17, and a few removed ones (FD301 reports those).
const SETTINGS: &str = "allow_alter_system allow_in_place_tablespaces allow_system_table_mods application_name \
archive_cleanup_command archive_command archive_library archive_mode archive_timeout array_nulls authentication_timeout \
autovacuum autovacuum_analyze_scale_factor autovacuum_analyze_threshold autovacuum_freeze_max_age autovacuum_max_workers \
autovacuum_multixact_freeze_max_age autovacuum_naptime autovacuum_vacuum_cost_delay autovacuum_vacuum_cost_limit \
autovacuum_vacuum_insert_scale_factor autovacuum_vacuum_insert_threshold autovacuum_vacuum_scale_factor \
autovacuum_vacuum_threshold autovacuum_work_mem autovacuum_worker_slots autovacuum_vacuum_max_threshold backend_flush_after \
backslash_quote backtrace_functions bgwriter_delay bgwriter_flush_after bgwriter_lru_maxpages bgwriter_lru_multiplier \
block_size bonjour bonjour_name bytea_output check_function_bodies checkpoint_completion_target checkpoint_flush_after \
checkpoint_timeout checkpoint_warning client_connection_check_interval client_encoding client_min_messages cluster_name \
commit_delay commit_siblings commit_timestamp_buffers compute_query_id config_file constraint_exclusion \
cpu_index_tuple_cost cpu_operator_cost cpu_tuple_cost createrole_self_grant cursor_tuple_fraction data_checksums \
data_directory data_directory_mode data_sync_retry datestyle db_user_namespace deadlock_timeout debug_assertions \
debug_discard_caches debug_io_direct debug_logical_replication_streaming debug_parallel_query debug_pretty_print \
debug_print_parse debug_print_plan debug_print_rewritten default_statistics_target default_table_access_method \
default_tablespace default_text_search_config default_toast_compression default_transaction_deferrable \
default_transaction_isolation default_transaction_read_only default_with_oids dynamic_library_path \
dynamic_shared_memory_type effective_cache_size effective_io_concurrency enable_async_append enable_bitmapscan \
enable_gathermerge enable_group_by_reordering enable_hashagg enable_hashjoin enable_incremental_sort enable_indexonlyscan \
enable_indexscan enable_material enable_memoize enable_mergejoin enable_nestloop enable_parallel_append \
enable_parallel_hash enable_partition_pruning enable_partitionwise_aggregate enable_partitionwise_join \
enable_presorted_aggregate enable_seqscan enable_sort enable_tidscan escape_string_warning event_source event_triggers \
exit_on_error extension_destdir external_pid_file extra_float_digits force_parallel_mode from_collapse_limit fsync \
full_page_writes geqo geqo_effort geqo_generations geqo_pool_size geqo_seed geqo_selection_bias geqo_threshold \
gin_fuzzy_search_limit gin_pending_list_limit gss_accept_delegation hash_mem_multiplier hba_file hot_standby \
hot_standby_feedback huge_page_size huge_pages huge_pages_status icu_validation_level ident_file \
idle_in_transaction_session_timeout idle_session_timeout ignore_checksum_failure ignore_invalid_pages \
ignore_system_indexes in_hot_standby integer_datetimes intervalstyle io_combine_limit jit jit_above_cost \
jit_debugging_support jit_dump_bitcode jit_expressions jit_inline_above_cost jit_optimize_above_cost \
jit_profiling_support jit_provider jit_tuple_deforming join_collapse_limit krb_caseins_users krb_server_keyfile \
lc_collate lc_ctype lc_messages lc_monetary lc_numeric lc_time listen_addresses lo_compat_privileges \
local_preload_libraries lock_timeout log_autovacuum_min_duration log_checkpoints log_connections log_destination \
log_directory log_disconnections log_duration log_error_verbosity log_executor_stats log_file_mode log_filename \
log_hostname log_line_prefix log_lock_waits log_min_duration_sample log_min_duration_statement log_min_error_statement \
log_min_messages log_parameter_max_length log_parameter_max_length_on_error log_parser_stats log_planner_stats \
log_recovery_conflict_waits log_replication_commands log_rotation_age log_rotation_size log_startup_progress_interval \
log_statement log_statement_sample_rate log_statement_stats log_temp_files log_timezone log_transaction_sample_rate \
log_truncate_on_rotation logging_collector logical_decoding_work_mem maintenance_io_concurrency maintenance_work_mem \
max_connections max_files_per_process max_function_args max_identifier_length max_index_keys \
max_locks_per_transaction max_logical_replication_workers max_notify_queue_pages \
max_parallel_apply_workers_per_subscription max_parallel_maintenance_workers max_parallel_workers \
max_parallel_workers_per_gather max_pred_locks_per_page max_pred_locks_per_relation max_pred_locks_per_transaction \
max_prepared_transactions max_replication_slots max_slot_wal_keep_size max_stack_depth max_standby_archive_delay \
max_standby_streaming_delay max_sync_workers_per_subscription max_wal_senders max_wal_size max_worker_processes \
min_dynamic_shared_memory min_parallel_index_scan_size min_parallel_table_scan_size min_wal_size \
multixact_member_buffers multixact_offset_buffers notify_buffers old_snapshot_threshold operator_precedence_warning \
parallel_leader_participation parallel_setup_cost parallel_tuple_cost password_encryption plan_cache_mode port \
post_auth_delay pre_auth_delay primary_conninfo primary_slot_name promote_trigger_file quote_all_identifiers \
random_page_cost recovery_end_command recovery_init_sync_method recovery_min_apply_delay recovery_prefetch \
recovery_target recovery_target_action recovery_target_inclusive recovery_target_lsn recovery_target_name \
recovery_target_time recovery_target_timeline recovery_target_xid recursive_worktable_factor \
remove_temp_files_after_crash reserved_connections restart_after_crash restore_command \
restrict_nonsystem_relation_kind row_security scram_iterations search_path segment_size send_abort_for_crash \
send_abort_for_kill seq_page_cost serializable_buffers server_encoding server_version server_version_num \
session_authorization session_preload_libraries session_replication_role shared_buffers shared_memory_size \
shared_memory_size_in_huge_pages shared_memory_type shared_preload_libraries ssl ssl_ca_file ssl_cert_file ssl_ciphers \
ssl_crl_dir ssl_crl_file ssl_dh_params_file ssl_ecdh_curve ssl_key_file ssl_library ssl_max_protocol_version \
ssl_min_protocol_version ssl_passphrase_command ssl_passphrase_command_supports_reload ssl_prefer_server_ciphers \
standard_conforming_strings statement_timeout stats_fetch_consistency stats_temp_directory subtransaction_buffers \
summarize_wal superuser_reserved_connections sync_replication_slots synchronized_standby_slots synchronize_seqscans \
synchronous_commit synchronous_standby_names syslog_facility syslog_ident syslog_sequence_numbers syslog_split_messages \
tcp_keepalives_count tcp_keepalives_idle tcp_keepalives_interval tcp_user_timeout temp_buffers temp_file_limit \
temp_tablespaces timezone timezone_abbreviations trace_connection_negotiation trace_notify trace_recovery_messages \
trace_sort track_activities track_activity_query_size track_commit_timestamp track_counts track_functions \
track_io_timing track_wal_io_timing transaction_buffers transaction_deferrable transaction_isolation \
transaction_read_only transaction_timeout transform_null_equals unix_socket_directories unix_socket_group \
unix_socket_permissions update_process_title vacuum_buffer_usage_limit vacuum_cost_delay vacuum_cost_limit \
vacuum_cost_page_dirty vacuum_cost_page_hit vacuum_cost_page_miss vacuum_defer_cleanup_age vacuum_failsafe_age \
vacuum_freeze_min_age vacuum_freeze_table_age vacuum_multixact_failsafe_age vacuum_multixact_freeze_min_age \
vacuum_multixact_freeze_table_age wal_block_size wal_buffers wal_compression wal_consistency_checking \
wal_decode_buffer_size wal_init_zero wal_keep_segments wal_keep_size wal_level wal_log_hints \
wal_receiver_create_temp_slot wal_receiver_status_interval wal_receiver_timeout wal_recycle \
wal_retrieve_retry_interval wal_segment_size wal_sender_timeout wal_skip_threshold wal_summary_keep_time \
wal_sync_method wal_writer_delay wal_writer_flush_after work_mem xmlbinary xmloption zero_damaged_pages \
checkpoint_segments min_parallel_relation_size replacement_sort_tuples sql_inheritance ssl_renegotiation_limit";

static KNOWN: LazyLock<HashSet<&'static str>> = LazyLock::new(|| SETTINGS.split_whitespace().collect());

/// Words `SET` takes that are not setting names (`SET ROLE`, `SET TIME ZONE`, `RESET ALL`, ...),
/// and `ALTER DATABASE ... SET TABLESPACE`.
const SPECIAL: &[&str] = &["role", "time", "session", "local", "transaction", "constraints", "names", "schema", "xml", "seed", "all", "tablespace"];

impl Rule for CustomSettingWithoutPrefix {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for (frag, tokens) in cx.runbook.sql_with_tokens() {
            let sql = frag.snippet.text.as_str();
            // Every statement this rule reads names a setting with one of these words.
            if !["SET", "set", "Set", "SHOW", "show", "current_setting", "set_config"].iter().any(|w| sql.contains(w)) {
                continue;
            }
            for st in sql_tokens::statements(tokens, sql) {
                for (range, name, how) in unknown_settings(st, sql) {
                    out.push(
                        Finding::new(frag.snippet.source_range(range), format!("`{name}` is not a PostgreSQL setting and has no prefix: {how} fails with `unrecognized configuration parameter \"{name}\"`"))
                            .help(format!("custom settings need a dotted name: `app.{name}` (any prefix works, as long as it has a dot)")),
                    );
                }
            }
        }
    }
}

/// The undotted unknown setting names a statement uses: (range, name, the statement kind).
fn unknown_settings(st: &[Token], sql: &str) -> Vec<(Range<usize>, String, &'static str)> {
    let word = |i: usize, w: &str| st.get(i).is_some_and(|t| t.is_word(sql, w));
    let dotted = |i: usize| st.get(i + 1).is_some_and(|t| t.is_punct(sql, '.'));
    let mut out = Vec::new();
    let check_name = |i: usize, how: &'static str, out: &mut Vec<(Range<usize>, String, &'static str)>| {
        let Some(t) = st.get(i) else { return };
        let Some(name) = t.name(sql) else { return };
        if dotted(i) || SPECIAL.contains(&name.as_str()) || KNOWN.contains(name.to_ascii_lowercase().as_str()) {
            return;
        }
        out.push((t.range.clone(), name, how));
    };
    // `SET [SESSION | LOCAL] name`, `RESET name`, `SHOW name`.
    if word(0, "set") {
        let i = if word(1, "session") && !word(2, "authorization") && !word(2, "characteristics") || word(1, "local") { 2 } else { 1 };
        check_name(i, "`SET`", &mut out);
    } else if word(0, "reset") {
        check_name(1, "`RESET`", &mut out);
    } else if word(0, "show") {
        check_name(1, "`SHOW`", &mut out);
    } else if word(0, "alter") && word(1, "system") && (word(2, "set") || word(2, "reset")) {
        check_name(3, "`ALTER SYSTEM`", &mut out);
    } else if word(0, "alter") && (word(1, "database") || word(1, "role") || word(1, "user")) {
        // `ALTER ROLE r [IN DATABASE d] SET name ...`.
        if let Some(k) = st.iter().position(|t| t.is_word(sql, "set") || t.is_word(sql, "reset")) {
            let how = if word(1, "database") { "`ALTER DATABASE ... SET`" } else { "`ALTER ROLE ... SET`" };
            check_name(k + 1, how, &mut out);
        }
    }
    // `current_setting('name')`, `set_config('name', ...)`.
    for (i, t) in st.iter().enumerate() {
        let function = if t.is_word(sql, "current_setting") {
            "`current_setting()`"
        } else if t.is_word(sql, "set_config") {
            "`set_config()`"
        } else {
            continue;
        };
        if !st.get(i + 1).is_some_and(|p| p.is_punct(sql, '(')) {
            continue;
        }
        let Some(arg) = st.get(i + 2).filter(|a| a.kind == TokenKind::String) else { continue };
        let Some(name) = arg.string_value(sql) else { continue };
        // `current_setting('x', true)` returns NULL instead of failing.
        let missing_ok = function == "`current_setting()`"
            && st.get(i + 3).is_some_and(|c| c.is_punct(sql, ','))
            && st.get(i + 4).is_some_and(|b| b.is_word(sql, "true"));
        if missing_ok || name.contains('.') || name.is_empty() || KNOWN.contains(name.to_ascii_lowercase().as_str()) {
            continue;
        }
        out.push((arg.range.clone(), name.to_string(), function));
    }
    out
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::CustomSettingWithoutPrefix, src)
    }

    #[test]
    fn unknown_undotted_settings() {
        let src = "```sql\nSET raspador_lote = '500';\nSELECT current_setting('raspador_lote');\nALTER ROLE raspador SET modo_mantenimiento = 'on';\nALTER DATABASE shop SET maintenance_mode = 'on';\nSET LOCAL flags TO 'x';\n```\n";
        let got = run(src);
        assert_eq!(got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(), vec![(2, 5), (3, 24), (4, 25), (5, 25), (6, 11)], "{got:?}");
    }

    #[test]
    fn real_and_dotted_settings_are_fine() {
        let src = "```sql\nSET statement_timeout = '5s';\nSET LOCAL app.raspador_lote = '500';\nSET search_path TO tienda, public;\nSET TIME ZONE 'UTC';\nSET ROLE app;\nSET SESSION AUTHORIZATION app;\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nRESET ALL;\nSHOW work_mem;\nALTER SYSTEM SET max_wal_size = '2GB';\nALTER DATABASE shop SET TABLESPACE fast;\nALTER ROLE app IN DATABASE shop SET lock_timeout = '2s';\nSELECT current_setting('app.tenant'), current_setting('my_flag', true), set_config('search_path', 'x', false);\nSET DateStyle = 'ISO';\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
