//! A sample monthly report rendered as DOCX, PDF and XLSX, each opened by
//! an independent reader: python-docx and openpyxl read the Office files
//! back; `pdftotext` finds the Chinese headings in the PDF's text layer and
//! `pdftoppm` renders every page to PNG, kept in
//! `target/screenshots/documents/` for a person to look at.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use bantong_documents::{DEFAULT_FONT_DIR, Fonts, Format, Pictures, render};
use bantong_hall_kit::district::HALLS;
use bantong_hall_kit::document::{Cell, Chart, ChartKind, Document, NamedFigure, Series};
use bantong_hall_kit::figure::Figure;

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots/documents");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sample() -> Document {
    let mut d = Document::new("莲池区乡镇（街道）行政综合服务中心监督检查月报");
    d.subtitle = Some("2026年11月".into());
    d.issuer = Some("莲池区行政审批局".into());
    d.date = Some("2026年12月6日".into());
    d.cover = true;
    d.heading(1, "基本情况");
    d.paragraph(
        "11月，区政务服务中心监督检查工作组对全区17个乡镇（街道）行政综合服务中心开展了月度暗访检查，\
         覆盖率100%。检查采取暗访、视频巡查、资料检查和满意度调查相结合的方式，共发现问题42个，已整改35个。",
    );
    d.heading(1, "得分排名");
    let rows: Vec<Vec<Cell>> = HALLS
        .iter()
        .enumerate()
        .map(|(i, h)| {
            vec![
                Cell::Number((i + 1) as f64),
                Cell::Text(h.name_zh()),
                Cell::Number(98.5 - i as f64 * 1.25),
                Cell::Text(if i % 3 == 0 {
                    "↑1".into()
                } else {
                    "—".into()
                }),
            ]
        })
        .collect();
    d.table(
        Some("表1 各中心得分排名"),
        &["名次", "服务中心", "得分", "环比"],
        rows,
    );
    d.chart(Chart {
        kind: ChartKind::Bar,
        title: "各中心得分".into(),
        labels: HALLS.iter().map(|h| h.area_zh.to_owned()).collect(),
        series: vec![Series {
            name: "11月得分".into(),
            values: (0..17).map(|i| 98.5 - i as f64 * 1.25).collect(),
        }],
        unit: Some("分".into()),
    });
    d.heading(1, "问题分类统计");
    d.heading(2, "问题类别");
    d.chart(Chart {
        kind: ChartKind::Share,
        title: "问题类别占比".into(),
        labels: vec![
            "人员管理".into(),
            "现场管理".into(),
            "便民服务".into(),
            "服务效能".into(),
        ],
        series: vec![Series {
            name: "问题数".into(),
            values: vec![12.0, 15.0, 9.0, 6.0],
        }],
        unit: Some("个".into()),
    });
    d.heading(2, "趋势");
    d.chart(Chart {
        kind: ChartKind::Line,
        title: "近六个月满意率".into(),
        labels: ["6月", "7月", "8月", "9月", "10月", "11月"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        series: vec![
            Series {
                name: "满意率".into(),
                values: vec![92.1, 93.4, 93.0, 95.2, 96.0, 96.8],
            },
            Series {
                name: "整改完成率".into(),
                values: vec![80.0, 84.0, 83.5, 88.0, 90.2, 83.3],
            },
        ],
        unit: Some("%".into()),
    });
    d.heading(1, "满意度调查");
    d.figures(
        Some("表2 满意度指标"),
        vec![
            NamedFigure {
                name: "满意率".into(),
                figure: Figure::ratio(
                    968,
                    1000,
                    "满意率 = (非常满意 + 满意 + 基本满意) / 评价总数",
                ),
            },
            NamedFigure {
                name: "整改完成率".into(),
                figure: Figure::ratio(35, 42, "整改完成率 = 已销号问题数 / 下发问题数"),
            },
        ],
    );
    d.heading(1, "问题清单");
    let problems: Vec<Vec<Cell>> = (1..=90)
        .map(|i| {
            let hall = &HALLS[i % HALLS.len()];
            vec![
                Cell::Number(i as f64),
                Cell::Text(hall.area_zh.to_owned()),
                Cell::Text(format!(
                    "窗口人员未按规定佩戴工作牌，第{i}项问题的说明文字较长，需要在表格中折行显示。"
                )),
                Cell::Text(if i % 4 == 0 {
                    "整改中".into()
                } else {
                    "已销号".into()
                }),
            ]
        })
        .collect();
    d.table(
        Some("表3 问题清单"),
        &["序号", "服务中心", "问题", "状态"],
        problems,
    );
    // A row taller than a page: it continues on the next page, whole.
    d.table(
        Some("表4 群众诉求原文"),
        &["编号", "诉求内容"],
        vec![vec![
            Cell::Text("GD202611300001".into()),
            Cell::Text(format!(
                "{}文末标记",
                "反映小区路灯长期不亮、夜间出行不便，".repeat(120)
            )),
        ]],
    );
    d.heading(1, "下步要求");
    d.paragraph("各乡镇（街道）要对照问题清单逐项整改，于12月20日前将经负责人签字盖章的自查整改报告报区行政审批局。");
    d
}

fn python(script: &str, file: &PathBuf) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(file)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_report_opens_in_independent_readers() {
    let fonts = Fonts::load(std::path::Path::new(DEFAULT_FONT_DIR))
        .expect("the Noto CJK fonts (Debian's fonts-noto-cjk; `cargo xtask ci` installs them)");
    let mut doc = sample();
    // A photo (a red 640×480 PNG) and a picture the caller cannot read.
    let photo = {
        let img = image::RgbImage::from_pixel(640, 480, image::Rgb([190, 40, 40]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    };
    let photo_sha = "a".repeat(64);
    doc.image(
        &photo_sha,
        Some("图1 东关街道中心3号窗口空岗（11月3日 9:50）"),
    );
    doc.image("b".repeat(64), Some("图2 不可读的照片"));
    let pictures: Pictures = [(photo_sha.clone(), photo)].into_iter().collect();
    let dir = out_dir();

    let docx = render(&doc, Format::Docx, &fonts, &pictures).expect("docx");
    let path = dir.join("monthly-report.docx");
    std::fs::write(&path, &docx).unwrap();
    let text = python(
        "import sys, docx\n\
         d = docx.Document(sys.argv[1])\n\
         print('\\n'.join(p.text for p in d.paragraphs))\n\
         print('TABLES', len(d.tables))\n\
         print('ROWS', len(d.tables[2].rows))\n\
         print('HEADER', d.tables[2].rows[0]._tr.trPr.xml.count('tblHeader'))\n\
         print('PICTURES', len(d.inline_shapes))\n\
         print('FOOTER', d.sections[0].footer.paragraphs[0].text)\n",
        &path,
    );
    for expected in [
        "一、基本情况",
        "二、得分排名",
        "（一）问题类别",
        "莲池区行政审批局",
        "TABLES 4",
        "ROWS 91",
        "HEADER 1",
        "PICTURES 4",
        "图1 东关街道中心3号窗口空岗（11月3日 9:50）",
        "［图片无法显示：图片不存在或无权读取］",
        "FOOTER — 1 —",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }

    let xlsx = render(&doc, Format::Xlsx, &fonts, &pictures).expect("xlsx");
    let path = dir.join("monthly-report.xlsx");
    std::fs::write(&path, &xlsx).unwrap();
    let text = python(
        "import sys, openpyxl\n\
         wb = openpyxl.load_workbook(sys.argv[1])\n\
         print(wb.sheetnames)\n\
         ws = wb['表1 各中心得分排名']\n\
         print(ws['B2'].value, ws['C2'].value, ws.max_row, ws.freeze_panes)\n\
         f = wb['指标']\n\
         print(f['A2'].value, f['B2'].value, f['C2'].value, f['D2'].value, f['E2'].value)\n\
         print('CHARTS', sum(len(s._charts) for s in wb.worksheets))\n",
        &path,
    );
    for expected in [
        "百楼镇行政综合服务中心 98.5 18 A2",
        "满意率 0.968 968 1000 满意率 = (非常满意 + 满意 + 基本满意) / 评价总数",
        "'表3 问题清单'",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }

    let pdf = render(&doc, Format::Pdf, &fonts, &pictures).expect("pdf");
    let path = dir.join("monthly-report.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "监督检查月报",
        "一、基本情况",
        "三、问题分类统计",
        "五、问题清单",
        "百楼镇行政综合服务中心",
        "96.8%（968/1000）",
        "文末标记",
        "— 2 —",
        "图1 东关街道中心3号窗口空岗",
        "［图片无法显示：图片不存在或无权读取］",
    ] {
        // pdftotext keeps a line's words apart by layout, not by the spaces
        // drawn: compare without whitespace.
        let squeeze = |s: &str| s.split_whitespace().collect::<String>();
        assert!(
            squeeze(&text).contains(&squeeze(expected)),
            "{expected} in the PDF's text layer:\n{text}"
        );
    }
    let pages = text.matches('\u{c}').count();
    assert!(pages >= 5, "{pages} pages");
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "60"])
        .arg(&path)
        .arg(dir.join("monthly-report"))
        .status()
        .expect("pdftoppm runs");
    assert!(status.success());
}

/// The page images are the PDF's pages: as many, 1000 px wide, A4 in
/// shape, and drawn alike — each compared with poppler's rendering of the
/// same PDF page at the same size (ink in the same places).
#[test]
fn the_page_images_are_the_pdfs_pages() {
    let fonts = Fonts::load(std::path::Path::new(DEFAULT_FONT_DIR))
        .expect("the Noto CJK fonts (Debian's fonts-noto-cjk; `cargo xtask ci` installs them)");
    let doc = sample();
    let pictures = Pictures::new();
    let dir = out_dir();
    let pdf = render(&doc, Format::Pdf, &fonts, &pictures).expect("pdf");
    let path = dir.join("pages-reference.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let (pages, total) =
        bantong_documents::pages::render(&doc, &fonts, &pictures, 200).expect("pages");
    let (first, same) = bantong_documents::pages::render(&doc, &fonts, &pictures, 2).expect("two");
    assert_eq!((first.len(), same), (2, total), "the first two of all");
    let info = Command::new("pdfinfo")
        .arg(&path)
        .output()
        .expect("pdfinfo runs");
    let info = String::from_utf8_lossy(&info.stdout);
    let count: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo's page count");
    assert_eq!(
        (pages.len(), total),
        (count, count),
        "one image per PDF page"
    );
    for (n, png) in pages.iter().enumerate() {
        let ours = image::load_from_memory(png).unwrap().to_luma8();
        assert_eq!((ours.width(), ours.height()), (1000, 1414), "page {n}");
        std::fs::write(dir.join(format!("page-image-{}.png", n + 1)), png).unwrap();
        // Poppler's page at the same width.
        let stem = dir.join(format!("pages-poppler-{}", n + 1));
        let status = Command::new("pdftoppm")
            .args([
                "-png",
                "-gray",
                "-singlefile",
                "-scale-to-x",
                "1000",
                "-scale-to-y",
                "1414",
            ])
            .args(["-f", &(n + 1).to_string(), "-l", &(n + 1).to_string()])
            .arg(&path)
            .arg(&stem)
            .status()
            .expect("pdftoppm runs");
        assert!(status.success());
        let theirs = image::open(stem.with_extension("png")).unwrap().to_luma8();
        // Ink per 50-pixel band, down the page: the same text lines, tables
        // and charts in the same places.
        let bands = |img: &image::GrayImage| -> Vec<f64> {
            img.rows()
                .collect::<Vec<_>>()
                .chunks(50)
                .map(|band| {
                    band.iter()
                        .flat_map(|row| row.clone().map(|p| f64::from(255 - p.0[0])))
                        .sum::<f64>()
                })
                .collect()
        };
        let (a, b) = (bands(&ours), bands(&theirs));
        let total: f64 = b.iter().sum();
        assert!(total > 0.0, "poppler drew page {n}");
        let diff: f64 = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum();
        assert!(
            diff / total < 0.25,
            "page {n}: ink differs by {:.0}% from poppler's",
            100.0 * diff / total
        );
    }
}
