//! Documents produced by a plugin against the same documents produced
//! natively, in the same run: a 10,000-row XLSX and a report of about 30
//! pages as DOCX and PDF. The plugin path is the fixture's `POST /report`
//! through the host's router (authenticate, instantiate, build the
//! description in wasm, cross the boundary, render in the host, store the
//! blob); the native path renders the same description with
//! `bantong_documents::render`. Time is the median of the runs; peak
//! memory is the most heap the process held above what it held before the
//! step (a counting allocator), so the two paths are measured alike.
//!
//! `cargo xtask wasm && cargo bench -p bantong-tests --bench documents`
//! (SQLite). Without `--bench`: small documents and one run, as a smoke test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bantong_documents::{DEFAULT_FONT_DIR, Fonts, Format, render};
use bantong_host::identity::Role;
use bantong_tests::db::Backend;
use bantong_tests::{TestApp, TestDb};
use serde_json::json;

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: delegates to the system allocator and only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn start_peak() -> usize {
    let base = NOW.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    base
}

fn peak_above(base: usize) -> f64 {
    PEAK.load(Ordering::Relaxed).saturating_sub(base) as f64 / 1_048_576.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// ", n pages" from poppler's `pdfinfo`, when it is installed.
fn pdf_pages(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join("bantong-bench-documents.pdf");
    if std::fs::write(&dir, pdf).is_err() {
        return String::new();
    }
    let out = std::process::Command::new("pdfinfo").arg(&dir).output();
    let text = out
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(|n| format!(", {} pages", n.trim()))
        .unwrap_or_default()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (xlsx_rows, report_rows, runs) = if full { (10_000, 900, 5) } else { (200, 40, 1) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fonts = Fonts::load(std::path::Path::new(DEFAULT_FONT_DIR)).expect("fonts-noto-cjk");
    rt.block_on(async {
        let app = TestApp::new(TestDb::new(Backend::Sqlite).await).await;
        app.install_fixture("fixture").await;
        let staff = app
            .host
            .client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
            .await;
        println!("| document | plugin (median) | native (median) | ratio | plugin peak heap | native peak heap | file |");
        println!("|---|---|---|---|---|---|---|");
        for (name, format, rows) in [
            ("xlsx", Format::Xlsx, xlsx_rows),
            ("docx", Format::Docx, report_rows),
            ("pdf", Format::Pdf, report_rows),
        ] {
            let doc = bantong_fixture::sample_report("测试报告", rows);
            let (mut plugin, mut native) = (Vec::new(), Vec::new());
            let (mut plugin_peak, mut native_peak) = (0.0f64, 0.0f64);
            let mut size = 0usize;
            let mut pages = String::new();
            for _ in 0..runs {
                let base = start_peak();
                let t = Instant::now();
                let r = staff
                    .post(
                        "/api/plugins/fixture/report",
                        json!({ "format": name, "rows": rows }),
                    )
                    .await;
                plugin.push(t.elapsed().as_secs_f64() * 1e3);
                plugin_peak = plugin_peak.max(peak_above(base));
                assert_eq!(r.status, 201, "{}", r.json());

                let base = start_peak();
                let t = Instant::now();
                let bytes = render(&doc, format, &fonts, &bantong_documents::Pictures::new()).expect("native render");
                native.push(t.elapsed().as_secs_f64() * 1e3);
                native_peak = native_peak.max(peak_above(base));
                // The same file, but for the time stamps a DOCX carries.
                let plugin_size = r.json()["size"].as_u64().unwrap_or(0) as f64;
                assert!(
                    (plugin_size - bytes.len() as f64).abs() <= bytes.len() as f64 * 0.005,
                    "{name}: {plugin_size} bytes from the plugin, {} natively",
                    bytes.len()
                );
                size = bytes.len();
                if format == Format::Pdf {
                    pages = pdf_pages(&bytes);
                }
            }
            let (p, n) = (median(plugin), median(native));
            println!(
                "| {name}, {rows} rows | {p:.0} ms | {n:.0} ms | {:.2} | {plugin_peak:.1} MiB | {native_peak:.1} MiB | {:.0} KiB{pages} |",
                p / n,
                size as f64 / 1024.0
            );
        }
    });
}
