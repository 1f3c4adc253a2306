//! How a lint report is written: for people (`human`), for tools (`json`, `sarif`).

pub mod human;
pub mod json;
pub mod sarif;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
}
