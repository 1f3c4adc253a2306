//! Lint throughput, single-threaded, on a generated corpus of realistic runbooks: every Markdown
//! fixture in `fixtures/`, repeated with renumbered titles until the corpus reaches the size.
//! Measured at 1 MB and 10 MB to check that time grows linearly with input.
//!
//! `cargo bench --bench lint` (criterion prints MiB/s per size).

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use firedrill::lint::{self, Config};

// The same allocator as the `firedrill` binary, so the figure is the one users get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn fixture_texts() -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).expect("read fixture")))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures to build a corpus from");
    out
}

/// Runbook files (path, bytes) adding up to at least `size` bytes.
fn corpus(size: usize) -> Vec<(PathBuf, Vec<u8>)> {
    let fixtures = fixture_texts();
    let mut files = Vec::new();
    let mut total = 0;
    let mut copy = 0;
    while total < size {
        for (path, bytes) in &fixtures {
            let mut text = format!("# Copia {copy} de {}\n\n", path.display()).into_bytes();
            text.extend_from_slice(bytes);
            total += text.len();
            files.push((PathBuf::from(format!("corpus/{copy}/{}", path.display())), text));
            if total >= size {
                break;
            }
        }
        copy += 1;
    }
    files
}

/// What `firedrill lint` does once it has read the files: decode, parse, extract claims and run
/// every rule, file by file (`lint::lint_files` is `lint_bytes` on the files it reads).
fn lint_corpus(files: &[(PathBuf, Vec<u8>)], config: &Config) -> usize {
    lint::lint_bytes(files, config).diagnostics.len()
}

fn bench_lint(c: &mut Criterion) {
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("thread pool");
    let config = Config { today: Some("2026-06-01".parse().unwrap()), ..Config::default() };
    let mut group = c.benchmark_group("lint-single-thread");
    group.sample_size(10);
    for mb in [1usize, 10] {
        let files = corpus(mb * 1_000_000);
        let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_with_input(BenchmarkId::from_parameter(format!("{mb}MB")), &files, |b, files| {
            b.iter(|| single.install(|| lint_corpus(files, &config)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_lint);
criterion_main!(benches);
