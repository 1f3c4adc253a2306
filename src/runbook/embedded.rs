//! Code inside code: SQL in `psql -c "..."` strings and heredocs, PromQL in
//! `curl .../api/v1/query?query=...` URLs (URL-decoded), each mapped back to the runbook.
//!
//! TODO: not written yet.
