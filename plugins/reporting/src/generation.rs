//! Making a report's files in the background, one stage per plugin call:
//! read the figures, then the PDF, the Word file, the Excel file and the
//! page images for the preview. A request that starts a generation answers
//! at once; each stage runs in a call of its own (so no call holds the
//! whole work, and the portal shows how far it got), and a stage's result
//! is kept before the next starts.
//!
//! Pure: the plugin glue ([`crate::plugin`]) stores the state and runs the
//! stages. Invariant: a generation's files become the report's files only
//! when every stage has run; until then the previous files (if any) stay
//! the report's, so an edit never leaves a report without its files.

use serde::{Deserialize, Serialize};

/// A stage of a generation, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Read the figures from the modules (skipped when only the text
    /// changed).
    Gather,
    Pdf,
    Docx,
    Xlsx,
    /// The PDF's pages as images, for the preview.
    Pages,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 5] = [
        Stage::Gather,
        Stage::Pdf,
        Stage::Docx,
        Stage::Xlsx,
        Stage::Pages,
    ];

    /// The stage after this one, if any.
    pub fn next(self) -> Option<Stage> {
        let i = Stage::ALL.iter().position(|s| *s == self)?;
        Stage::ALL.get(i + 1).copied()
    }

    /// What the stage does, in Chinese and in English.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Stage::Gather => ("读取各模块数据", "reading the modules' figures"),
            Stage::Pdf => ("生成 PDF", "making the PDF"),
            Stage::Docx => ("生成 Word 文档", "making the Word file"),
            Stage::Xlsx => ("生成 Excel 表格", "making the Excel file"),
            Stage::Pages => ("生成预览页面", "drawing the preview pages"),
        }
    }
}

/// One generation of a report's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generation {
    /// Names this generation: a stage event for another one (an older
    /// request, a duplicate delivery) is ignored.
    pub token: String,
    /// The stage to run next; `None` once done (or failed).
    pub next: Option<Stage>,
    /// Whether it reads the figures again (a new draft, a refresh) or only
    /// renders the text again (an edit).
    pub gather: bool,
    /// Who asked, and when.
    pub requested_by: String,
    pub requested_ms: i64,
    /// When the last stage finished.
    #[serde(default)]
    pub finished_ms: Option<i64>,
    /// Why it stopped, when a stage failed.
    #[serde(default)]
    pub error: Option<String>,
}

/// What a report's page shows of a generation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// Stages done, of `total`.
    pub done: usize,
    pub total: usize,
    /// `running`, `done` or `failed`.
    pub state: &'static str,
    /// What it is doing now, or how it ended, in Chinese and in English.
    pub label_zh: String,
    pub label_en: String,
}

impl Generation {
    /// A generation requested by `by` at `now_ms`.
    pub fn start(token: String, gather: bool, by: &str, now_ms: i64) -> Generation {
        Generation {
            token,
            next: Some(if gather { Stage::Gather } else { Stage::Pdf }),
            gather,
            requested_by: by.to_owned(),
            requested_ms: now_ms,
            finished_ms: None,
            error: None,
        }
    }

    /// The stages this generation runs.
    pub fn stages(&self) -> impl Iterator<Item = Stage> + '_ {
        Stage::ALL
            .into_iter()
            .filter(|s| self.gather || *s != Stage::Gather)
    }

    /// Whether a stage is still to run.
    pub fn running(&self) -> bool {
        self.next.is_some() && self.error.is_none()
    }

    /// Whether an event for `token` and `stage` is this generation's next
    /// step (anything else is stale or a duplicate, and does nothing).
    pub fn expects(&self, token: &str, stage: Stage) -> bool {
        self.running() && self.token == token && self.next == Some(stage)
    }

    /// Records that `stage` finished at `now_ms`; answers the stage to run
    /// next, if any.
    pub fn advance(&mut self, stage: Stage, now_ms: i64) -> Option<Stage> {
        self.next = stage.next();
        if self.next.is_none() {
            self.finished_ms = Some(now_ms);
        }
        self.next
    }

    /// Records that `stage` failed.
    pub fn fail(&mut self, stage: Stage, why: &str, now_ms: i64) {
        let (zh, _) = stage.label();
        self.error = Some(format!("{zh}失败：{why}"));
        self.finished_ms = Some(now_ms);
    }

    /// How far it got.
    pub fn progress(&self) -> Progress {
        let total = self.stages().count();
        let done = match self.next {
            Some(next) => self.stages().take_while(|s| *s != next).count(),
            None => total,
        };
        match (&self.error, self.next) {
            (Some(e), _) => Progress {
                done,
                total,
                state: "failed",
                label_zh: e.clone(),
                label_en: format!("failed after {done} of {total} steps"),
            },
            (None, Some(next)) => {
                let (zh, en) = next.label();
                Progress {
                    done,
                    total,
                    state: "running",
                    label_zh: format!("正在{zh}（第{}步，共{total}步）", done + 1),
                    label_en: format!("{en} (step {} of {total})", done + 1),
                }
            }
            (None, None) => Progress {
                done,
                total,
                state: "done",
                label_zh: "已生成".to_owned(),
                label_en: "ready".to_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_draft_runs_every_stage_in_order() {
        let mut g = Generation::start("t1".into(), true, "u1", 100);
        let mut seen = Vec::new();
        let mut at = g.next;
        while let Some(stage) = at {
            assert!(g.expects("t1", stage));
            seen.push(stage);
            at = g.advance(stage, 200);
        }
        assert_eq!(seen, Stage::ALL.to_vec());
        assert!(!g.running());
        assert_eq!(g.finished_ms, Some(200));
        let p = g.progress();
        assert_eq!((p.done, p.total, p.state), (5, 5, "done"));
    }

    #[test]
    fn an_edit_renders_again_without_reading_the_figures() {
        let g = Generation::start("t2".into(), false, "u1", 100);
        assert_eq!(g.next, Some(Stage::Pdf));
        assert!(!g.stages().any(|s| s == Stage::Gather));
        let p = g.progress();
        assert_eq!((p.done, p.total, p.state), (0, 4, "running"));
        assert_eq!(p.label_zh, "正在生成 PDF（第1步，共4步）");
    }

    #[test]
    fn a_stale_or_repeated_event_is_not_the_next_step() {
        let mut g = Generation::start("t3".into(), true, "u1", 100);
        assert!(!g.expects("old", Stage::Gather), "another generation's");
        assert!(!g.expects("t3", Stage::Pdf), "out of order");
        g.advance(Stage::Gather, 150);
        assert!(!g.expects("t3", Stage::Gather), "delivered twice");
        assert!(g.expects("t3", Stage::Pdf));
        let p = g.progress();
        assert_eq!((p.done, p.total), (1, 5));
        assert_eq!(p.label_en, "making the PDF (step 2 of 5)");
    }

    #[test]
    fn a_failed_stage_stops_the_generation_and_says_why() {
        let mut g = Generation::start("t4".into(), true, "u1", 100);
        g.advance(Stage::Gather, 150);
        g.fail(Stage::Pdf, "文档字体缺失", 160);
        assert!(!g.running());
        assert!(!g.expects("t4", Stage::Pdf));
        let p = g.progress();
        assert_eq!((p.done, p.state), (1, "failed"));
        assert_eq!(p.label_zh, "生成 PDF失败：文档字体缺失");
    }
}
