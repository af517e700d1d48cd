//! Office files made and read by independent tools (Python's openpyxl and
//! python-docx, poppler's pdftotext, pdftoppm and pdfinfo), for tests of
//! imports, exports and rendered reports.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn python(script: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Writes `dir/name` with openpyxl: sheet 事项 from `items` (rows, the
/// heading first) and, when given, sheet X类窗口 from `categories`; answers
/// the file's bytes.
pub fn catalogue_workbook(
    dir: &Path,
    name: &str,
    items: &Value,
    categories: Option<&Value>,
) -> Vec<u8> {
    let path = dir.join(name);
    let script = r#"
import json, sys
from openpyxl import Workbook
items, categories, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
wb = Workbook()
ws = wb.active
ws.title = "事项"
for row in items:
    ws.append(row)
if categories is not None:
    cs = wb.create_sheet("X类窗口")
    for row in categories:
        cs.append(row)
wb.save(out)
"#;
    let categories = categories.map_or("null".to_owned(), Value::to_string);
    python(
        script,
        &[&items.to_string(), &categories, &path.display().to_string()],
    );
    std::fs::read(&path).expect("workbook written")
}

/// Reads an `.xlsx` with openpyxl: `{sheet name: [[cell, …], …]}` (dates
/// as `YYYY-MM-DD HH:MM:SS` text).
pub fn read_workbook(dir: &Path, bytes: &[u8]) -> Value {
    let path = dir.join("read-back.xlsx");
    std::fs::write(&path, bytes).expect("write workbook");
    let script = r#"
import json, sys
from openpyxl import load_workbook
wb = load_workbook(sys.argv[1])
print(json.dumps({ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}, ensure_ascii=False, default=str))
"#;
    let out = python(script, &[&path.display().to_string()]);
    serde_json::from_slice(&out).expect("json from python")
}

/// The heading row of the catalogue's 事项 sheet.
pub const CATALOGUE_HEADING: [&str; 11] = [
    "事项编码",
    "事项名称",
    "窗口类别",
    "实施部门",
    "法定时限(工作日)",
    "承诺时限(工作日)",
    "申请材料",
    "告知承诺",
    "容缺受理",
    "可上门办",
    "可自助办",
];

/// A valid catalogue sheet: three items (one self-service) and a blank row.
pub fn catalogue_rows() -> Value {
    serde_json::json!([
        CATALOGUE_HEADING,
        [
            "130606-SC-0001",
            "个体工商户设立登记",
            "市场准入",
            "区行政审批局",
            15,
            1,
            "经营者身份证件\n经营场所使用证明",
            "是",
            "是",
            "否",
            "否"
        ],
        [
            "130606-MS-0001",
            "社会保障卡补领",
            "民生保障",
            "区人力资源和社会保障局",
            20,
            5,
            "居民身份证原件",
            "否",
            "否",
            "否",
            "是"
        ],
        [
            null, null, null, null, null, null, null, null, null, null, null
        ],
        [
            "130606-ZX-0001",
            "政务服务综合咨询",
            "综合受理",
            "区行政审批局",
            0,
            0,
            null,
            null,
            null,
            null,
            null
        ]
    ])
}

/// The X类窗口 sheet matching [`catalogue_rows`].
pub fn catalogue_categories() -> Value {
    serde_json::json!([["类别代码", "类别名称"], ["comprehensive", "综合受理"]])
}

/// Text without whitespace: pdftotext lays words out by position, not by
/// the spaces drawn.
pub fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The PDF's text layer, and every page kept as a PNG under
/// `target/screenshots/` with `prefix`.
pub fn pdf_text(dir: &std::path::Path, pdf: &[u8], prefix: &str) -> String {
    let path = dir.join(format!("{prefix}.pdf"));
    std::fs::write(&path, pdf).expect("write pdf");
    let shots = crate::app::repo_root().join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshots");
    run(Command::new("pdftoppm")
        .args(["-r", "60", "-png"])
        .arg(&path)
        .arg(shots.join(prefix)));
    run(Command::new("pdftotext").arg("-layout").arg(&path).arg("-"))
}

/// The PDF's page count, by poppler's `pdfinfo`.
pub fn pdf_page_count(dir: &std::path::Path, pdf: &[u8]) -> usize {
    let path = dir.join("count.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    run(Command::new("pdfinfo").arg(&path))
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo's page count")
}

/// The DOCX's paragraphs through python-docx.
pub fn docx_text(dir: &std::path::Path, docx: &[u8]) -> String {
    let path = dir.join("report.docx");
    std::fs::write(&path, docx).expect("write docx");
    run(Command::new("python3").arg("-c").arg(
        "import sys, docx\nd = docx.Document(sys.argv[1])\nprint('\\n'.join(p.text for p in d.paragraphs))\nprint('PICTURES', len(d.inline_shapes))\nfor t in d.tables:\n    for r in t.rows:\n        print('|'.join(c.text for c in r.cells))",
    ).arg(&path))
}
