//! The hotline's knowledge base (知识库) as pure logic: versioned articles per
//! service item, their index terms, and the ranking of a search — no storage,
//! no clock, no bindings.
//!
//! # Articles
//!
//! An [`Article`] answers callers' questions about one service item: its
//! `category` is a request category key of the dispatch catalogue
//! ([`crate::order::Catalogue`]). Agents write an [`ArticleInput`];
//! [`create`] makes version 1 and [`revise`] each next version, recording who
//! changed it and when. Only [`ArticleStatus::Published`] articles are found
//! by a search; drafts and retired articles are kept but not shown.
//!
//! # Terms: Chinese full-text search with n-grams
//!
//! Chinese has no spaces between words, so instead of a word segmenter the
//! index holds character n-grams. A text is first normalised character by
//! character ([`normalise`]): full-width ASCII (U+FF01–U+FF5E, e.g. `ＡＰＰ`,
//! `１２３４５`) becomes half-width, the ideographic space (U+3000) a space,
//! and ASCII letters lowercase. Then it is split into runs:
//!
//! - a run of CJK ideographs (Unified Ideographs U+4E00–U+9FFF, Extension A
//!   U+3400–U+4DBF, Compatibility Ideographs U+F900–U+FAFF, and planes 2 and
//!   3 — Extensions B–I and the compatibility supplement, where many rare
//!   characters of people's and places' names live) gives, in [`terms`],
//!   every character (unigram) **and** every pair of neighbours (bigram):
//!   `纳税人` → `纳`, `纳税`, `税`, `税人`, `人`;
//! - a run of ASCII letters and digits gives the whole word, lowercased;
//!   words longer than [`MAX_WORD_CHARS`] are **truncated** to their first
//!   [`MAX_WORD_CHARS`] characters (the same happens to queries, so a long
//!   identifier still finds itself);
//! - anything else — punctuation, whitespace, other scripts, emoji — only
//!   separates runs. Scripts meet at a boundary without a separator:
//!   `e社保App` → `e`, `社`, `社保`, `保`, `app`.
//!
//! [`query_terms`] splits a query the same way but, to keep results precise,
//! a CJK run of two or more characters gives only its bigrams (`医保参保` →
//! `医保`, `保参`, `参保`); a run of one character gives that character
//! (`税` → `税`), which matches because articles index unigrams too.
//!
//! Terms are deduplicated in order of first occurrence and capped:
//! [`MAX_TERMS`] per text, [`MAX_QUERY_TERMS`] per query. A term is at most
//! [`MAX_TERM_BYTES`] bytes (an ASCII word of 32 bytes, or two ideographs of
//! at most 4 bytes each). [`Article::index_terms`] feeds the title first,
//! then the keywords, then the body, so when a very long body hits the cap
//! it is the end of the body that goes unindexed, never the title.
//!
//! # Search
//!
//! The plugin stores articles as documents and the index as documents
//! `{term, article}`; for a search it asks the store which articles contain
//! any of the [`query_terms`], then calls [`rank`] on those candidates.
//! [`rank`] scores with BM25 over the candidates (see its documentation for
//! the formula), titles weighted ×[`TITLE_WEIGHT`] and keywords
//! ×[`KEYWORD_WEIGHT`], and cuts a snippet of the body around the first match
//! with every match wrapped in 【】.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::ControlFlow;

use bantong_hall_kit::time::local_time;
use serde::{Deserialize, Serialize};

/// Most index terms of one text (and of one article, see
/// [`Article::index_terms`]).
pub const MAX_TERMS: usize = 4_096;
/// Most terms of one query; the rest of a longer query is ignored.
pub const MAX_QUERY_TERMS: usize = 32;
/// ASCII words are truncated to this many characters.
pub const MAX_WORD_CHARS: usize = 32;
/// Longest term, in bytes (holds for every term [`terms`] and
/// [`query_terms`] produce).
pub const MAX_TERM_BYTES: usize = 64;
/// Longest category key, in characters.
pub const MAX_CATEGORY_CHARS: usize = 64;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest body, in characters.
pub const MAX_BODY_CHARS: usize = 20_000;
/// Most keywords of an article.
pub const MAX_KEYWORDS: usize = 20;
/// Longest keyword, in characters.
pub const MAX_KEYWORD_CHARS: usize = 32;
/// Longest article or actor id, in characters.
pub const MAX_ID_CHARS: usize = 64;
/// Body characters a snippet shows at most (not counting the 【】 around
/// matches and the … at cut ends).
pub const SNIPPET_CHARS: usize = 80;
/// Body characters a snippet shows before the first match, when there are
/// that many.
pub const SNIPPET_LEAD_CHARS: usize = 20;
/// A term in the title counts this many times.
pub const TITLE_WEIGHT: u64 = 3;
/// A term in a keyword counts this many times.
pub const KEYWORD_WEIGHT: u64 = 2;
/// BM25 term-frequency saturation `k1`.
pub const BM25_K1: f64 = 1.2;
/// BM25 length normalisation `b`.
pub const BM25_B: f64 = 0.75;

// ---------------------------------------------------------------------------
// Normalisation and terms
// ---------------------------------------------------------------------------

/// One character normalised: full-width ASCII to half-width, the ideographic
/// space to a space, ASCII letters to lowercase. Always one character for
/// one, so positions in the normalised text are positions in the original.
fn normalise_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0)
            .unwrap_or(c)
            .to_ascii_lowercase(),
        '\u{3000}' => ' ',
        _ => c.to_ascii_lowercase(),
    }
}

/// The text as terms are taken from it: full-width ASCII (U+FF01–U+FF5E)
/// half-width, the ideographic space (U+3000) a space, ASCII letters
/// lowercase. Character for character, so the result has as many characters
/// as `text`.
pub fn normalise(text: &str) -> String {
    text.chars().map(normalise_char).collect()
}

/// Whether `c` is a CJK ideograph: Unified Ideographs, Extension A,
/// Compatibility Ideographs, or anything in planes 2 and 3 (Extensions B–I
/// and the compatibility supplement).
fn is_cjk(c: char) -> bool {
    matches!(
        c,
        '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{20000}'..='\u{3FFFF}'
    )
}

/// How a text is split: an article's text (unigrams and bigrams) or a query
/// (bigrams, unigrams only for one-character runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Index,
    Query,
}

/// One term occurrence in a normalised text.
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    /// The term, a slice of the normalised text.
    term: &'a str,
    /// Position of its first character, in characters.
    start: usize,
    /// How many characters of the text it covers (a truncated word covers
    /// the whole word).
    chars: usize,
}

/// The run of CJK ideographs or ASCII alphanumerics being read.
#[derive(Debug, Clone, Copy)]
struct Run {
    cjk: bool,
    start_char: usize,
    start_byte: usize,
    chars: usize,
    /// Byte offset of the run's last character so far.
    last_byte: usize,
}

/// Calls `emit` with every term occurrence of a normalised text, in
/// nondecreasing order of `start`, until it answers `Break`.
fn scan<'a, F>(norm: &'a str, mode: Mode, emit: &mut F) -> ControlFlow<()>
where
    F: FnMut(Token<'a>) -> ControlFlow<()>,
{
    let mut run: Option<Run> = None;
    for (ci, (bi, c)) in norm.char_indices().enumerate() {
        let cjk = is_cjk(c);
        let word = c.is_ascii_alphanumeric();
        if let Some(r) = run {
            let continues = if r.cjk { cjk } else { word };
            if !continues {
                close(norm, &r, mode, bi, emit)?;
                run = None;
            }
        }
        if !cjk && !word {
            continue;
        }
        let end = bi + c.len_utf8();
        match run.as_mut() {
            Some(r) => {
                if cjk {
                    if let Some(term) = norm.get(r.last_byte..end) {
                        emit(Token {
                            term,
                            start: ci.saturating_sub(1),
                            chars: 2,
                        })?;
                    }
                    if mode == Mode::Index
                        && let Some(term) = norm.get(bi..end)
                    {
                        emit(Token {
                            term,
                            start: ci,
                            chars: 1,
                        })?;
                    }
                    r.last_byte = bi;
                }
                r.chars += 1;
            }
            None => {
                if cjk
                    && mode == Mode::Index
                    && let Some(term) = norm.get(bi..end)
                {
                    emit(Token {
                        term,
                        start: ci,
                        chars: 1,
                    })?;
                }
                run = Some(Run {
                    cjk,
                    start_char: ci,
                    start_byte: bi,
                    chars: 1,
                    last_byte: bi,
                });
            }
        }
    }
    match run {
        Some(r) => close(norm, &r, mode, norm.len(), emit),
        None => ControlFlow::Continue(()),
    }
}

/// Emits what a run gives at its end (`end`: byte offset after it): an
/// ASCII word, or the single character of a one-character CJK run of a query.
fn close<'a, F>(norm: &'a str, r: &Run, mode: Mode, end: usize, emit: &mut F) -> ControlFlow<()>
where
    F: FnMut(Token<'a>) -> ControlFlow<()>,
{
    let term = if r.cjk {
        if mode == Mode::Query && r.chars == 1 {
            norm.get(r.start_byte..end)
        } else {
            None
        }
    } else {
        // ASCII: one byte per character, so the cut is a char boundary.
        norm.get(r.start_byte..end.min(r.start_byte + MAX_WORD_CHARS))
    };
    match term {
        Some(term) => emit(Token {
            term,
            start: r.start_char,
            chars: r.chars,
        }),
        None => ControlFlow::Continue(()),
    }
}

/// Distinct terms in order of first occurrence, up to a cap.
struct TermSet {
    seen: BTreeSet<String>,
    out: Vec<String>,
    cap: usize,
}

impl TermSet {
    fn new(cap: usize) -> TermSet {
        TermSet {
            seen: BTreeSet::new(),
            out: Vec::new(),
            cap,
        }
    }

    /// Adds the terms of `text`; `Break` once the cap is reached.
    fn add(&mut self, text: &str, mode: Mode) -> ControlFlow<()> {
        if self.out.len() >= self.cap {
            return ControlFlow::Break(());
        }
        let norm = normalise(text);
        scan(&norm, mode, &mut |token| {
            if !self.seen.contains(token.term) {
                self.seen.insert(token.term.to_owned());
                self.out.push(token.term.to_owned());
            }
            if self.out.len() >= self.cap {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
    }
}

/// The index terms of a text: for runs of CJK ideographs every character and
/// every bigram, for runs of ASCII letters and digits the lowercased word
/// (truncated to [`MAX_WORD_CHARS`]), after [`normalise`]; deduplicated in
/// order of first occurrence, at most [`MAX_TERMS`]. See the
/// [module documentation](self) for the details.
///
/// `"纳税人 e社保App"` gives `纳`, `纳税`, `税`, `税人`, `人`, `e`, `社`,
/// `社保`, `保`, `app`.
pub fn terms(text: &str) -> Vec<String> {
    let mut set = TermSet::new(MAX_TERMS);
    let _ = set.add(text, Mode::Index);
    set.out
}

/// The terms of a search query: like [`terms`], but a CJK run of two or more
/// characters gives only its bigrams and a one-character run that
/// character; at most [`MAX_QUERY_TERMS`]. An empty or all-punctuation query
/// has no terms (and finds nothing).
///
/// `"医保参保"` gives `医保`, `保参`, `参保`; `"税"` gives `税`; `"ＡＰＰ"`
/// gives `app`.
pub fn query_terms(query: &str) -> Vec<String> {
    let mut set = TermSet::new(MAX_QUERY_TERMS);
    let _ = set.add(query, Mode::Query);
    set.out
}

// ---------------------------------------------------------------------------
// Articles
// ---------------------------------------------------------------------------

/// Whether an article is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    /// Being written; not found by searches.
    Draft,
    /// Shown to agents and found by searches.
    #[default]
    Published,
    /// No longer valid (e.g. the policy changed); kept, not found.
    Retired,
}

impl fmt::Display for ArticleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Published => "published",
            ArticleStatus::Retired => "retired",
        })
    }
}

/// One version of a knowledge-base article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Identifier, 1-64 characters without whitespace; the same for every
    /// version.
    pub id: String,
    /// The service item: a request category key of the dispatch catalogue
    /// (1-64 of `a-z`, `0-9`, `-`, `_`, `.`).
    pub category: String,
    /// Title, one line, 1-[`MAX_TITLE_CHARS`] characters.
    pub title: String,
    /// The answer (口径), 1-[`MAX_BODY_CHARS`] characters; line breaks
    /// allowed.
    pub body: String,
    /// Extra search words (e.g. the colloquial 社保卡 for 社会保障卡), at most
    /// [`MAX_KEYWORDS`] of 1-[`MAX_KEYWORD_CHARS`] characters.
    pub keywords: Vec<String>,
    /// Draft, published or retired.
    pub status: ArticleStatus,
    /// 1 when created, one more at every revision.
    pub version: u32,
    /// Who wrote this version.
    pub updated_by: String,
    /// When this version was written, ms since the Unix epoch.
    pub updated_ms: i64,
}

/// What an agent submits to create or revise an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    /// See [`Article::category`].
    pub category: String,
    /// See [`Article::title`].
    pub title: String,
    /// See [`Article::body`].
    pub body: String,
    /// See [`Article::keywords`]; none when absent.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Published when absent.
    #[serde(default)]
    pub status: ArticleStatus,
}

/// Why an article operation was refused; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum KnowledgeError {
    /// A field is empty, too long or malformed.
    Invalid {
        /// The field, e.g. `title` or `keywords[2]`.
        field: String,
        /// What is wrong, in Chinese then English: `标题不能为空 / title
        /// must not be empty`.
        message: String,
    },
    /// `now_ms` is earlier than the article's last update.
    ClockWentBack {
        /// The time given.
        now_ms: i64,
        /// The last update.
        last_ms: i64,
    },
}

impl fmt::Display for KnowledgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KnowledgeError::Invalid { field, message } => write!(f, "{field}: {message}"),
            KnowledgeError::ClockWentBack { now_ms, last_ms } => {
                let (now, last) = (local_time(*now_ms), local_time(*last_ms));
                write!(
                    f,
                    "时间 {now} 早于文章最后修改时间 {last} / time {now} is before the article's last update at {last}"
                )
            }
        }
    }
}

impl std::error::Error for KnowledgeError {}

fn invalid(field: impl Into<String>, message: String) -> KnowledgeError {
    KnowledgeError::Invalid {
        field: field.into(),
        message,
    }
}

/// Names of a text field for messages: (field, Chinese, English).
type Names<'a> = (&'a str, &'a str, &'a str);

/// Checks a free text: not blank, at most `max` characters, no control
/// characters (nor line or paragraph separators) unless `multiline`, where
/// line breaks and tabs are allowed.
fn check_text(
    (field, zh, en): Names<'_>,
    text: &str,
    max: usize,
    multiline: bool,
) -> Result<(), KnowledgeError> {
    if text.trim().is_empty() {
        return Err(invalid(
            field,
            format!("{zh}不能为空 / {en} must not be empty"),
        ));
    }
    let n = text.chars().count();
    if n > max {
        return Err(invalid(
            field,
            format!(
                "{zh}为{n}个字符，最多{max}个 / {en} is {n} characters, at most {max} are allowed"
            ),
        ));
    }
    let bad = |c: char| {
        if multiline {
            c.is_control() && !matches!(c, '\n' | '\r' | '\t')
        } else {
            c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
        }
    };
    if text.chars().any(bad) {
        return Err(invalid(
            field,
            if multiline {
                format!(
                    "{zh}不能包含换行和制表符以外的控制字符 / {en} must not contain control characters other than line breaks and tabs"
                )
            } else {
                format!(
                    "{zh}须为单行且不含控制字符 / {en} must be one line without control characters"
                )
            },
        ));
    }
    Ok(())
}

/// Checks an id: 1-[`MAX_ID_CHARS`] characters, no whitespace or control
/// characters.
fn check_id((field, zh, en): Names<'_>, id: &str) -> Result<(), KnowledgeError> {
    let n = id.chars().count();
    if !(1..=MAX_ID_CHARS).contains(&n) || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            field,
            format!(
                "{zh}须为1-{MAX_ID_CHARS}个字符且不含空白和控制字符 / {en} {id:?} must be 1-{MAX_ID_CHARS} characters without spaces or control characters"
            ),
        ));
    }
    Ok(())
}

impl ArticleInput {
    /// Checks every field, in the order category, title, body, keywords, and
    /// reports the first problem:
    ///
    /// - `category`: 1-[`MAX_CATEGORY_CHARS`] of `a-z`, `0-9`, `-`, `_`, `.`;
    /// - `title`: not blank, 1-[`MAX_TITLE_CHARS`] characters, one line, no
    ///   control characters;
    /// - `body`: not blank, 1-[`MAX_BODY_CHARS`] characters, no control
    ///   characters but line breaks and tabs;
    /// - `keywords`: at most [`MAX_KEYWORDS`], each (`keywords[i]`) not
    ///   blank, 1-[`MAX_KEYWORD_CHARS`] characters on one line, and no two
    ///   the same after [`normalise`] and trimming.
    pub fn validate(&self) -> Result<(), KnowledgeError> {
        let c = &self.category;
        if !(1..=MAX_CATEGORY_CHARS).contains(&c.len())
            || !c.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
            })
        {
            return Err(invalid(
                "category",
                format!(
                    "服务事项分类须为1-{MAX_CATEGORY_CHARS}个字符，仅限 a-z、0-9、-、_、. / category {c:?} must be 1-{MAX_CATEGORY_CHARS} characters of a-z, 0-9, -, _ and ."
                ),
            ));
        }
        check_text(
            ("title", "标题", "title"),
            &self.title,
            MAX_TITLE_CHARS,
            false,
        )?;
        check_text(("body", "正文", "body"), &self.body, MAX_BODY_CHARS, true)?;
        let n = self.keywords.len();
        if n > MAX_KEYWORDS {
            return Err(invalid(
                "keywords",
                format!(
                    "关键词最多{MAX_KEYWORDS}个，现有{n}个 / at most {MAX_KEYWORDS} keywords are allowed, {n} given"
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, keyword) in self.keywords.iter().enumerate() {
            let field = format!("keywords[{i}]");
            check_text(
                (field.as_str(), "关键词", "keyword"),
                keyword,
                MAX_KEYWORD_CHARS,
                false,
            )?;
            if !seen.insert(normalise(keyword.trim())) {
                return Err(invalid(
                    field,
                    format!("关键词“{keyword}”重复 / duplicate keyword {keyword:?}"),
                ));
            }
        }
        Ok(())
    }
}

/// Version 1 of a new article, written by `actor_id` at `now_ms`. The id and
/// the actor are 1-[`MAX_ID_CHARS`] characters without whitespace; the input
/// must pass [`ArticleInput::validate`]. Texts are stored as given.
pub fn create(
    id: &str,
    input: ArticleInput,
    actor_id: &str,
    now_ms: i64,
) -> Result<Article, KnowledgeError> {
    check_id(("id", "文章编号", "id"), id)?;
    check_id(("updated_by", "操作人编号", "actor id"), actor_id)?;
    input.validate()?;
    Ok(Article {
        id: id.to_owned(),
        category: input.category,
        title: input.title,
        body: input.body,
        keywords: input.keywords,
        status: input.status,
        version: 1,
        updated_by: actor_id.to_owned(),
        updated_ms: now_ms,
    })
}

/// The next version of `current`: the input replaces every field (status
/// included, so a revision also publishes or retires), the version goes up by
/// one, `updated_by` and `updated_ms` record the revision. Refused when
/// `now_ms` is earlier than `current.updated_ms` (the same instant is
/// allowed), and when the input or the actor is invalid. A revision that
/// changes nothing still makes a new version.
pub fn revise(
    current: &Article,
    input: ArticleInput,
    actor_id: &str,
    now_ms: i64,
) -> Result<Article, KnowledgeError> {
    check_id(("updated_by", "操作人编号", "actor id"), actor_id)?;
    input.validate()?;
    if now_ms < current.updated_ms {
        return Err(KnowledgeError::ClockWentBack {
            now_ms,
            last_ms: current.updated_ms,
        });
    }
    let version = current.version.checked_add(1).ok_or_else(|| {
        invalid(
            "version",
            format!(
                "版本号已达上限 / version {} cannot be raised",
                current.version
            ),
        )
    })?;
    Ok(Article {
        id: current.id.clone(),
        category: input.category,
        title: input.title,
        body: input.body,
        keywords: input.keywords,
        status: input.status,
        version,
        updated_by: actor_id.to_owned(),
        updated_ms: now_ms,
    })
}

impl Article {
    /// The terms to index this article under: the [`terms`] of the title,
    /// then of each keyword, then of the body (each text split on its own, so
    /// no bigram spans two fields), deduplicated, at most [`MAX_TERMS`].
    pub fn index_terms(&self) -> Vec<String> {
        let mut set = TermSet::new(MAX_TERMS);
        let fields = std::iter::once(&self.title)
            .chain(&self.keywords)
            .chain(std::iter::once(&self.body));
        for text in fields {
            if set.add(text, Mode::Index).is_break() {
                break;
            }
        }
        set.out
    }

    /// Whether searches find this article.
    pub fn is_published(&self) -> bool {
        self.status == ArticleStatus::Published
    }
}

// ---------------------------------------------------------------------------
// Ranking
// ---------------------------------------------------------------------------

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// The article.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its service item.
    pub category: String,
    /// The version ranked.
    pub version: u32,
    /// How many of the query's distinct terms the article contains (hits
    /// are ordered by this first).
    pub matched: u32,
    /// BM25 score (see [`rank`]); higher is better, comparable only within
    /// one search.
    pub score: f64,
    /// Up to [`SNIPPET_CHARS`] characters of the body around the first match,
    /// matches in 【】, … where the body was cut.
    pub snippet: String,
}

/// Field-weighted term frequencies of one candidate.
struct Doc<'a> {
    article: &'a Article,
    /// Per query term: 3 × occurrences in the title + 2 × in keywords + in
    /// the body.
    tf: Vec<u64>,
    /// Weighted length: 3 × title tokens + 2 × keyword tokens + body tokens.
    len: u64,
}

fn count<'a>(article: &'a Article, lookup: &BTreeMap<&str, usize>) -> Doc<'a> {
    let mut tf = vec![0_u64; lookup.len()];
    let mut len = 0_u64;
    let mut field = |text: &str, weight: u64| {
        let norm = normalise(text);
        let _ = scan(&norm, Mode::Index, &mut |token| {
            len += weight;
            if let Some(n) = lookup.get(token.term).and_then(|&i| tf.get_mut(i)) {
                *n += weight;
            }
            ControlFlow::Continue(())
        });
    };
    field(&article.title, TITLE_WEIGHT);
    for keyword in &article.keywords {
        field(keyword, KEYWORD_WEIGHT);
    }
    field(&article.body, 1);
    Doc { article, tf, len }
}

/// Ranks the candidate articles for a query and returns the best `limit`
/// hits, best first.
///
/// - Only [`ArticleStatus::Published`] articles are ranked. Should an id
///   appear more than once, only its highest version counts (the first of
///   equal versions), so a newer draft or retirement hides an older
///   published version.
/// - Articles containing none of the [`query_terms`] are dropped; an empty
///   query finds nothing.
/// - Order: more distinct query terms matched first, then higher score, then
///   id ascending — deterministic, and independent of the candidates' order.
///
/// The score is BM25 with field weights (a simple BM25F), taking the ranked
/// candidates as the collection: with `N` articles, `n(t)` of them
/// containing term `t`, `f(t, d)` = 3 × occurrences of `t` in the title of
/// `d` + 2 × in its keywords + occurrences in its body, `|d|` = 3 × title
/// tokens + 2 × keyword tokens + body tokens (tokens as in [`terms`] but
/// counted with repetition), `avgdl` the mean `|d|`, `k1` = [`BM25_K1`] and
/// `b` = [`BM25_B`]:
///
/// ```text
/// IDF(t)      = ln(1 + (N − n(t) + 0.5) / (n(t) + 0.5))
/// score(d, q) = Σ_{t ∈ q, f(t,d) > 0}  IDF(t) · f(t,d) · (k1 + 1)
///                                       / (f(t,d) + k1 · (1 − b + b · |d| / avgdl))
/// ```
///
/// Since the store already narrowed the candidates to articles sharing a
/// term with the query, `IDF` measures how rare a term is among those; it is
/// always positive.
///
/// The snippet ([`Hit::snippet`]) shows up to [`SNIPPET_CHARS`] characters
/// of the body, starting [`SNIPPET_LEAD_CHARS`] before the first match in the
/// body (less at the start of the body; the window slides back when the body
/// ends first), with every query-term match inside wrapped in 【】
/// (overlapping and touching matches merged: `【社保卡】`), control
/// characters such as line breaks shown as spaces, and `…` before and after
/// where the body goes on. When only the title or keywords match, it is the
/// start of the body without 【】.
pub fn rank(query: &str, candidates: &[Article], limit: usize) -> Vec<Hit> {
    let qterms = query_terms(query);
    if qterms.is_empty() || limit == 0 {
        return Vec::new();
    }
    let lookup: BTreeMap<&str, usize> = qterms
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();

    let mut latest: BTreeMap<&str, &Article> = BTreeMap::new();
    for article in candidates {
        match latest.get(article.id.as_str()) {
            Some(kept) if kept.version >= article.version => {}
            _ => {
                latest.insert(&article.id, article);
            }
        }
    }
    let docs: Vec<Doc<'_>> = latest
        .values()
        .filter(|a| a.is_published())
        .map(|a| count(a, &lookup))
        .collect();
    if docs.is_empty() {
        return Vec::new();
    }

    let n = docs.len() as f64;
    let total: u64 = docs.iter().map(|d| d.len).sum();
    let avgdl = if total == 0 { 1.0 } else { total as f64 / n };
    let idf: Vec<f64> = (0..qterms.len())
        .map(|i| {
            let df = docs
                .iter()
                .filter(|d| d.tf.get(i).is_some_and(|&f| f > 0))
                .count() as f64;
            ((n - df + 0.5) / (df + 0.5)).ln_1p()
        })
        .collect();

    let mut scored: Vec<(u32, f64, &Article)> = docs
        .iter()
        .filter_map(|d| {
            let norm = BM25_K1 * (1.0 - BM25_B + BM25_B * d.len as f64 / avgdl);
            let mut matched = 0_u32;
            let mut score = 0.0;
            for (&f, &w) in d.tf.iter().zip(&idf) {
                if f > 0 {
                    matched += 1;
                    let f = f as f64;
                    score += w * f * (BM25_K1 + 1.0) / (f + norm);
                }
            }
            (matched > 0).then_some((matched, score, d.article))
        })
        .collect();
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| b.1.total_cmp(&a.1))
            .then_with(|| a.2.id.cmp(&b.2.id))
    });
    scored.truncate(limit);
    scored
        .into_iter()
        .map(|(matched, score, a)| Hit {
            id: a.id.clone(),
            title: a.title.clone(),
            category: a.category.clone(),
            version: a.version,
            matched,
            score,
            snippet: snippet(&a.body, &lookup),
        })
        .collect()
}

/// The snippet of a body for the query terms in `lookup` (see [`rank`]).
fn snippet(body: &str, lookup: &BTreeMap<&str, usize>) -> String {
    let norm = normalise(body);
    let chars: Vec<char> = body.chars().collect();
    let total = chars.len();

    let mut first = None;
    let _ = scan(&norm, Mode::Index, &mut |token| {
        if lookup.contains_key(token.term) {
            first = Some(token.start);
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    let from = first.map_or(0, |p| p.saturating_sub(SNIPPET_LEAD_CHARS));
    let to = total.min(from + SNIPPET_CHARS);
    let from = from.min(to.saturating_sub(SNIPPET_CHARS));

    // Matches inside the window, clipped to it, merged when they overlap or
    // touch. Tokens come in nondecreasing order of start.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    if first.is_some() {
        let _ = scan(&norm, Mode::Index, &mut |token| {
            if token.start >= to {
                return ControlFlow::Break(());
            }
            let (s, e) = (token.start.max(from), (token.start + token.chars).min(to));
            if s < e && lookup.contains_key(token.term) {
                match spans.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => spans.push((s, e)),
                }
            }
            ControlFlow::Continue(())
        });
    }

    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut spans = spans.into_iter().peekable();
    for (i, &c) in chars.get(from..to).unwrap_or_default().iter().enumerate() {
        let at = from + i;
        if spans.peek().is_some_and(|&(s, _)| s == at) {
            out.push('【');
        }
        out.push(if c.is_control() { ' ' } else { c });
        if spans.peek().is_some_and(|&(_, e)| e == at + 1) {
            out.push('】');
            spans.next();
        }
    }
    if to < total {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600_000; // 2026-01-01 08:00 in the hall

    fn input(category: &str, title: &str, keywords: &[&str], body: &str) -> ArticleInput {
        ArticleInput {
            category: category.into(),
            title: title.into(),
            body: body.into(),
            keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
            status: ArticleStatus::Published,
        }
    }

    fn medical() -> Article {
        create(
            "kb-medical-enrol",
            input(
                "medical-insurance",
                "城乡居民基本医疗保险参保登记",
                &["居民医保", "参保登记"],
                "本区户籍居民及持有本区居住证的常住人口，可在户籍所在地或居住地的乡镇（街道）便民服务中心\
                 办理城乡居民基本医疗保险参保登记。所需材料：居民身份证或户口簿。\n\
                 也可通过“e社保”App办理，或拨打12345政务服务便民热线咨询。每年9月至12月为集中参保缴费期。",
            ),
            "agent-wang",
            NOW,
        )
        .unwrap()
    }

    fn sscard() -> Article {
        create(
            "kb-sscard-reissue",
            input(
                "social-security",
                "社会保障卡补领",
                &["社保卡", "挂失", "补卡"],
                "社会保障卡遗失或损坏的，持本人居民身份证到区人力资源和社会保障局服务窗口或合作银行网点申请补领，\
                 补领前须先办理挂失。补领新卡一般需要10个工作日，也可以在“掌上12333”App上申请邮寄到家。",
            ),
            "agent-li",
            NOW,
        )
        .unwrap()
    }

    fn licence() -> Article {
        create(
            "kb-business-licence",
            input(
                "market-regulation",
                "个体工商户营业执照办理",
                &["营业执照", "个体户", "登记注册"],
                "申请个体工商户设立登记，需提交经营者身份证明、经营场所使用证明等材料。材料齐全、符合法定形式的当场办结，\
                 核发营业执照。营业执照遗失的可申请补领。可通过政务服务网全程网上办理，咨询电话12345。",
            ),
            "agent-wang",
            NOW,
        )
        .unwrap()
    }

    fn property() -> Article {
        create(
            "kb-property-query",
            input(
                "real-estate",
                "不动产登记查询",
                &["房产查询", "不动产权证书"],
                "权利人可持身份证到区不动产登记中心查询本人名下的不动产登记信息；企业申请查询需提供营业执照复印件\
                 和授权委托书。也可以在大厅自助查询机上扫码查询。",
            ),
            "agent-zhao",
            NOW,
        )
        .unwrap()
    }

    fn tax() -> Article {
        create(
            "kb-tax-invoice",
            input(
                "tax",
                "个人代开增值税发票",
                &["代开发票"],
                "自然人出租房屋、销售货物，可到区政务服务中心税务窗口申请代开增值税普通发票，需提供身份证和合同。",
            ),
            "agent-li",
            NOW,
        )
        .unwrap()
    }

    fn all() -> Vec<Article> {
        vec![medical(), sscard(), licence(), property(), tax()]
    }

    fn ids(hits: &[Hit]) -> Vec<&str> {
        hits.iter().map(|h| h.id.as_str()).collect()
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    /// The snippet without its markers and ellipses.
    fn plain(snippet: &str) -> String {
        snippet
            .chars()
            .filter(|c| !matches!(c, '【' | '】' | '…'))
            .collect()
    }

    // --- terms -------------------------------------------------------------

    #[test]
    fn cjk_runs_give_unigrams_and_bigrams() {
        assert_eq!(terms("纳税人"), strs(&["纳", "纳税", "税", "税人", "人"]));
        assert_eq!(terms("税"), strs(&["税"]));
        // Punctuation separates runs: no 保医.
        assert_eq!(
            terms("社保，医保"),
            strs(&["社", "社保", "保", "医", "医保"])
        );
    }

    #[test]
    fn scripts_split_at_their_boundary() {
        assert_eq!(
            terms("下载e社保App，拨打12345。"),
            strs(&[
                "下", "下载", "载", "e", "社", "社保", "保", "app", "拨", "拨打", "打", "12345"
            ])
        );
        assert_eq!(terms("12345热线"), strs(&["12345", "热", "热线", "线"]));
        // Other scripts and emoji only separate.
        assert_eq!(terms("café😀医保"), strs(&["caf", "医", "医保", "保"]));
    }

    #[test]
    fn full_width_and_ideographic_space_are_normalised() {
        assert_eq!(terms("ＡＰＰ　１２３４５"), strs(&["app", "12345"]));
        assert_eq!(terms("ＡＰＰ"), terms("app"));
        assert_eq!(terms("App"), terms("app"));
        assert_eq!(query_terms("ＡＰＰ"), strs(&["app"]));
        assert_eq!(normalise("Ｅ社保　ＡＰＰ！"), "e社保 app!");
        assert_eq!(
            normalise("Ｅ社保").chars().count(),
            "Ｅ社保".chars().count()
        );
    }

    #[test]
    fn rare_and_compatibility_ideographs_are_indexed() {
        // U+20BB7 (𠮷, Extension B) and U+3400 (㐀, Extension A), U+F900 (豈).
        assert_eq!(terms("𠮷野"), strs(&["𠮷", "𠮷野", "野"]));
        assert_eq!(terms("㐀豈"), strs(&["㐀", "㐀豈", "豈"]));
        assert!(terms("𠮷𠮷𠮷").iter().all(|t| t.len() <= 8));
    }

    #[test]
    fn terms_are_deduplicated_in_first_occurrence_order() {
        assert_eq!(terms("社保社保"), strs(&["社", "社保", "保", "保社"]));
        assert_eq!(terms("app APP App"), strs(&["app"]));
        assert!(terms("").is_empty());
        assert!(terms("，。！？ \n\t——").is_empty());
    }

    #[test]
    fn long_words_are_truncated_consistently() {
        let word = "a".repeat(40) + "b";
        assert_eq!(terms(&word), vec!["a".repeat(MAX_WORD_CHARS)]);
        assert_eq!(query_terms(&word), vec!["a".repeat(MAX_WORD_CHARS)]);
    }

    #[test]
    fn terms_are_capped() {
        // 5000 distinct ideographs give far more than MAX_TERMS terms.
        let text: String = (0x4E00_u32..0x4E00 + 5_000)
            .filter_map(char::from_u32)
            .collect();
        let t = terms(&text);
        assert_eq!(t.len(), MAX_TERMS);
        assert_eq!(t.iter().collect::<BTreeSet<_>>().len(), MAX_TERMS);
        let q = query_terms(&text);
        assert_eq!(q.len(), MAX_QUERY_TERMS);
        assert!(q.iter().all(|t| t.chars().count() == 2));
    }

    #[test]
    fn query_terms_use_bigrams_and_lone_characters() {
        assert_eq!(query_terms("医保参保"), strs(&["医保", "保参", "参保"]));
        assert_eq!(query_terms("税"), strs(&["税"]));
        assert_eq!(query_terms(" 税 App "), strs(&["税", "app"]));
        assert_eq!(query_terms("社保卡 补办"), strs(&["社保", "保卡", "补办"]));
        assert!(query_terms("").is_empty());
        assert!(query_terms("？？？").is_empty());
    }

    #[test]
    fn article_index_terms_put_the_title_first() {
        let a = sscard();
        let t = a.index_terms();
        assert_eq!(t.first().map(String::as_str), Some("社"));
        for term in [
            "社会", "保障", "社保", "保卡", "挂失", "12333", "app", "补", "补领",
        ] {
            assert!(t.contains(&term.to_owned()), "{term}");
        }
        // No bigram across fields (title ends 领, first keyword starts 社).
        assert!(!t.contains(&"领社".to_owned()));
        assert_eq!(t.iter().collect::<BTreeSet<_>>().len(), t.len());

        let mut long = a.clone();
        long.body = (0x4E00_u32..0x4E00 + 5_000)
            .filter_map(char::from_u32)
            .collect();
        let t = long.index_terms();
        assert_eq!(t.len(), MAX_TERMS);
        assert!(t.contains(&"社保".to_owned()) && t.contains(&"补领".to_owned()));
    }

    // --- articles ----------------------------------------------------------

    #[test]
    fn create_makes_version_one() {
        let a = medical();
        assert_eq!(a.id, "kb-medical-enrol");
        assert_eq!(a.version, 1);
        assert_eq!(a.updated_by, "agent-wang");
        assert_eq!(a.updated_ms, NOW);
        assert_eq!(a.status, ArticleStatus::Published);
    }

    #[test]
    fn input_json_defaults_and_refuses_unknown_fields() {
        let i: ArticleInput = serde_json::from_str(
            r#"{"category": "tax", "title": "个税汇算", "body": "每年3月1日至6月30日办理。"}"#,
        )
        .unwrap();
        assert!(i.keywords.is_empty());
        assert_eq!(i.status, ArticleStatus::Published);
        i.validate().unwrap();
        let i: ArticleInput = serde_json::from_str(
            r#"{"category": "tax", "title": "t", "body": "b", "status": "retired"}"#,
        )
        .unwrap();
        assert_eq!(i.status, ArticleStatus::Retired);
        assert!(
            serde_json::from_str::<ArticleInput>(
                r#"{"category": "tax", "title": "t", "body": "b", "version": 3}"#
            )
            .is_err()
        );
        let a = medical();
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["status"], "published");
        assert_eq!(serde_json::from_value::<Article>(json).unwrap(), a);
    }

    /// The field of a validation error, after checking its message is
    /// bilingual, Chinese first.
    fn field_of(r: Result<(), KnowledgeError>) -> String {
        match r.unwrap_err() {
            KnowledgeError::Invalid { field, message } => {
                let (zh, en) = message.split_once(" / ").unwrap();
                assert!(zh.chars().any(is_cjk), "{message}");
                assert!(
                    en.starts_with(|c: char| c.is_ascii_alphabetic()),
                    "{message}"
                );
                field
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn validation_names_the_field() {
        let ok = input("medical-insurance", "医保参保", &["医保"], "正文");
        ok.validate().unwrap();
        let with = |f: &dyn Fn(&mut ArticleInput)| {
            let mut i = ok.clone();
            f(&mut i);
            field_of(i.validate())
        };
        assert_eq!(with(&|i| i.category = String::new()), "category");
        assert_eq!(with(&|i| i.category = "Medical".into()), "category");
        assert_eq!(with(&|i| i.category = "医保".into()), "category");
        assert_eq!(with(&|i| i.category = "a".repeat(65)), "category");
        for category in ["12.3-a_b".to_owned(), "a".repeat(64)] {
            let mut i = ok.clone();
            i.category = category;
            i.validate().unwrap();
        }

        assert_eq!(with(&|i| i.title = "  ".into()), "title");
        assert_eq!(with(&|i| i.title = "医保\n参保".into()), "title");
        assert_eq!(with(&|i| i.title = "医保\u{2028}参保".into()), "title");
        assert_eq!(with(&|i| i.title = "保".repeat(201)), "title");
        let mut i = ok.clone();
        i.title = "保".repeat(200);
        i.validate().unwrap();

        assert_eq!(with(&|i| i.body = String::new()), "body");
        assert_eq!(with(&|i| i.body = "正文\u{0}".into()), "body");
        assert_eq!(with(&|i| i.body = "文".repeat(20_001)), "body");
        let mut i = ok.clone();
        i.body = "第一条\n\t第二条\r\n".into();
        i.validate().unwrap();

        assert_eq!(
            with(&|i| i.keywords = (0..21).map(|n| format!("k{n}")).collect()),
            "keywords"
        );
        assert_eq!(with(&|i| i.keywords = strs(&["医保", ""])), "keywords[1]");
        assert_eq!(with(&|i| i.keywords = vec!["k".repeat(33)]), "keywords[0]");
        assert_eq!(with(&|i| i.keywords = strs(&["a\tb"])), "keywords[0]");
        assert_eq!(
            with(&|i| i.keywords = strs(&["App", "ＡＰＰ"])),
            "keywords[1]"
        );
        let mut i = ok.clone();
        i.keywords = (0..20).map(|n| format!("k{n}")).collect();
        i.validate().unwrap();
    }

    #[test]
    fn validation_messages() {
        let mut i = input("tax", "", &[], "正文");
        let err = i.validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "title: 标题不能为空 / title must not be empty"
        );
        i.title = "保".repeat(201);
        assert_eq!(
            i.validate().unwrap_err().to_string(),
            "title: 标题为201个字符，最多200个 / title is 201 characters, at most 200 are allowed"
        );
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["error"], "invalid");
        assert_eq!(json["field"], "title");
    }

    #[test]
    fn create_checks_id_actor_and_input() {
        let ok = input("tax", "个税", &[], "正文");
        let field = |r: Result<Article, KnowledgeError>| field_of(r.map(|_| ()));
        assert_eq!(field(create("", ok.clone(), "agent", NOW)), "id");
        assert_eq!(field(create("kb 1", ok.clone(), "agent", NOW)), "id");
        assert_eq!(
            field(create(&"k".repeat(65), ok.clone(), "agent", NOW)),
            "id"
        );
        assert_eq!(field(create("kb-1", ok.clone(), "", NOW)), "updated_by");
        let mut bad = ok.clone();
        bad.body = " ".into();
        assert_eq!(field(create("kb-1", bad, "agent", NOW)), "body");
        create("kb-1", ok, "agent", NOW).unwrap();
    }

    #[test]
    fn revise_bumps_the_version() {
        let v1 = licence();
        let mut change = input(
            "market-regulation",
            "个体工商户营业执照办理（2026年版）",
            &["营业执照"],
            "全程网办，当场发照。",
        );
        change.status = ArticleStatus::Draft;
        let v2 = revise(&v1, change.clone(), "agent-li", NOW + 60_000).unwrap();
        assert_eq!(v2.id, v1.id);
        assert_eq!(v2.version, 2);
        assert_eq!(v2.updated_by, "agent-li");
        assert_eq!(v2.updated_ms, NOW + 60_000);
        assert_eq!(v2.status, ArticleStatus::Draft);
        assert_eq!(v2.title, "个体工商户营业执照办理（2026年版）");
        // The same instant is fine; earlier is not.
        let v3 = revise(&v2, change.clone(), "agent-li", NOW + 60_000).unwrap();
        assert_eq!(v3.version, 3);
        let err = revise(&v3, change.clone(), "agent-li", NOW).unwrap_err();
        assert_eq!(
            err,
            KnowledgeError::ClockWentBack {
                now_ms: NOW,
                last_ms: NOW + 60_000
            }
        );
        assert_eq!(
            err.to_string(),
            "时间 2026-01-01 08:00 早于文章最后修改时间 2026-01-01 08:01 / time 2026-01-01 08:00 is before the article's last update at 2026-01-01 08:01"
        );
        // Invalid input and actor are refused.
        let mut bad = change.clone();
        bad.category = String::new();
        assert!(revise(&v3, bad, "agent-li", NOW + 120_000).is_err());
        assert!(revise(&v3, change.clone(), "a b", NOW + 120_000).is_err());
        let mut last = v3;
        last.version = u32::MAX;
        assert_eq!(
            field_of(revise(&last, change, "agent-li", NOW + 120_000).map(|_| ())),
            "version"
        );
    }

    // --- ranking -----------------------------------------------------------

    #[test]
    fn medical_insurance_is_found_by_shared_terms() {
        let hits = rank("医保参保", &all(), 10);
        assert_eq!(ids(&hits), ["kb-medical-enrol"]);
        let hit = &hits[0];
        assert_eq!(hit.category, "medical-insurance");
        assert_eq!(hit.version, 1);
        assert_eq!(hit.matched, 2); // 医保 (keyword) and 参保; not 保参
        assert!(hit.score > 0.0);
        assert!(hit.snippet.contains("【参保】"), "{}", hit.snippet);
        // Nothing shares a term with an unrelated query.
        assert!(rank("出入境护照", &all(), 10).is_empty());
    }

    #[test]
    fn business_licence_ranks_first_for_its_title() {
        let hits = rank("营业执照", &all(), 10);
        assert_eq!(ids(&hits), ["kb-business-licence", "kb-property-query"]);
        assert_eq!(hits[0].matched, 3);
        assert_eq!(hits[1].matched, 3);
        assert!(hits[0].score > hits[1].score);
        assert!(
            hits[1].snippet.contains("【营业执照】"),
            "{}",
            hits[1].snippet
        );
    }

    #[test]
    fn keyword_finds_the_social_security_card() {
        let hits = rank("社保卡", &all(), 10);
        // The card article has both bigrams (keyword 社保卡); the medical one
        // only 社保 (in “e社保”).
        assert_eq!(ids(&hits), ["kb-sscard-reissue", "kb-medical-enrol"]);
        assert_eq!((hits[0].matched, hits[1].matched), (2, 1));
        // The card article's body has neither: the snippet is its start.
        assert!(
            hits[0].snippet.starts_with("社会保障卡遗失"),
            "{}",
            hits[0].snippet
        );
        assert!(!hits[0].snippet.contains('【'));
        assert!(hits[1].snippet.contains("e【社保】"), "{}", hits[1].snippet);
    }

    #[test]
    fn title_weighs_more_than_body() {
        let mut in_title = tax();
        in_title.id = "a-title".into();
        in_title.title = "发票查验".into();
        in_title.keywords.clear();
        in_title.body = "登录全国增值税发票查验平台。".into();
        let mut in_body = in_title.clone();
        in_body.id = "b-body".into();
        in_body.title = "税务事项".into();
        let mut in_keyword = in_body.clone();
        in_keyword.id = "c-keyword".into();
        in_keyword.keywords = strs(&["查验"]);
        let hits = rank("查验", &[in_body, in_keyword, in_title], 10);
        assert_eq!(ids(&hits), ["a-title", "c-keyword", "b-body"]);
    }

    #[test]
    fn one_character_query_matches_inside_words() {
        let hits = rank("税", &all(), 10);
        assert_eq!(ids(&hits), ["kb-tax-invoice"]);
        assert!(
            hits[0].snippet.contains("【税】务窗口"),
            "{}",
            hits[0].snippet
        );
    }

    #[test]
    fn ascii_queries_and_full_width() {
        let hits = rank("12345", &all(), 10);
        let mut found = ids(&hits);
        found.sort_unstable();
        assert_eq!(found, ["kb-business-licence", "kb-medical-enrol"]);
        assert!(hits.iter().all(|h| h.snippet.contains("【12345】")));

        let app = rank("App", &all(), 10);
        let mut found = ids(&app);
        found.sort_unstable();
        assert_eq!(found, ["kb-medical-enrol", "kb-sscard-reissue"]);
        assert_eq!(rank("ＡＰＰ", &all(), 10), app);
        assert_eq!(rank("app", &all(), 10), app);
        // The original spelling is kept in the snippet.
        assert!(app.iter().all(|h| h.snippet.contains("【App】")));
        assert_eq!(rank("１２３４５", &all(), 10), hits);
    }

    #[test]
    fn empty_query_and_zero_limit_find_nothing() {
        assert!(rank("", &all(), 10).is_empty());
        assert!(rank("  ，。 ", &all(), 10).is_empty());
        assert!(rank("营业执照", &all(), 0).is_empty());
        assert!(rank("营业执照", &[], 10).is_empty());
        assert_eq!(rank("营业执照", &all(), 1).len(), 1);
    }

    #[test]
    fn drafts_and_retired_articles_are_not_found() {
        let mut draft = licence();
        draft.status = ArticleStatus::Draft;
        let mut retired = property();
        retired.status = ArticleStatus::Retired;
        assert!(rank("营业执照", &[draft.clone(), retired.clone()], 10).is_empty());

        // The highest version of an id decides, whatever the order.
        let published = licence();
        let mut newer_draft = published.clone();
        newer_draft.version = 2;
        newer_draft.status = ArticleStatus::Draft;
        assert!(rank("营业执照", &[published.clone(), newer_draft.clone()], 10).is_empty());
        assert!(rank("营业执照", &[newer_draft.clone(), published.clone()], 10).is_empty());
        let mut newer = published.clone();
        newer.version = 3;
        let hits = rank("营业执照", &[newer, newer_draft, published], 10);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].version, 3);
    }

    #[test]
    fn ranking_is_deterministic() {
        let forward = rank("社保卡补领 营业执照 App", &all(), 10);
        let mut reversed = all();
        reversed.reverse();
        assert_eq!(rank("社保卡补领 营业执照 App", &reversed, 10), forward);
        // Equal articles under different ids tie and are ordered by id.
        let mut a = tax();
        a.id = "kb-b".into();
        let mut b = tax();
        b.id = "kb-a".into();
        let hits = rank("发票", &[a, b], 10);
        assert_eq!(ids(&hits), ["kb-a", "kb-b"]);
        assert_eq!(hits[0].score.to_bits(), hits[1].score.to_bits());
        // Coverage beats score: more distinct terms first.
        for pair in forward.windows(2) {
            assert!(pair[0].matched >= pair[1].matched);
        }
    }

    #[test]
    fn hits_serialise() {
        let hits = rank("营业执照", &all(), 1);
        let json = serde_json::to_value(&hits).unwrap();
        assert_eq!(json[0]["id"], "kb-business-licence");
        assert_eq!(json[0]["category"], "market-regulation");
        assert!(json[0]["score"].as_f64().unwrap() > 0.0);
    }

    // --- snippets ----------------------------------------------------------

    fn lookup(terms: &[String]) -> BTreeMap<&str, usize> {
        terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i))
            .collect()
    }

    #[test]
    fn snippet_window_and_markers() {
        let q = query_terms("营业执照");
        let l = lookup(&q);
        // Short body: no cut, every match marked.
        assert_eq!(
            snippet("核发营业执照。营业执照遗失的可申请补领。", &l),
            "核发【营业执照】。【营业执照】遗失的可申请补领。"
        );
        // A match deep inside: 20 characters of lead, 80 in all, cut marks.
        let body = format!("{}营业执照{}", "甲".repeat(100), "乙".repeat(100));
        let s = snippet(&body, &l);
        assert_eq!(
            s,
            format!("…{}【营业执照】{}…", "甲".repeat(20), "乙".repeat(56))
        );
        assert_eq!(plain(&s).chars().count(), SNIPPET_CHARS);
        // Near the end the window slides back to stay 80 characters long.
        let body = format!("{}营业执照乙", "甲".repeat(100));
        let s = snippet(&body, &l);
        assert_eq!(s, format!("…{}【营业执照】乙", "甲".repeat(75)));
        // A match cut by the window's end is marked up to the cut.
        let body = format!("营业执照{}营业执照", "甲".repeat(74));
        let s = snippet(&body, &l);
        assert_eq!(s, format!("【营业执照】{}【营业】…", "甲".repeat(74)));
        // Line breaks show as spaces; no match in the body: its start.
        assert_eq!(snippet("第一条\n第二条", &l), "第一条 第二条");
    }

    #[test]
    fn snippet_marks_words_and_single_characters() {
        let q = query_terms("app 税");
        let l = lookup(&q);
        assert_eq!(
            snippet("在电子税务局APP或ＡＰＰ办理纳税申报", &l),
            "在电子【税】务局【APP】或【ＡＰＰ】办理纳【税】申报"
        );
        // A word is marked whole, not its half inside a longer word.
        assert_eq!(snippet("apple app", &l), "apple 【app】");
    }

    /// A small deterministic generator (64-bit LCG).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }

        fn text(&mut self, alphabet: &[char], max: u64) -> String {
            let n = self.next() % (max + 1);
            (0..n)
                .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
                .collect()
        }
    }

    #[test]
    fn generated_input_stays_bounded() {
        let alphabet: Vec<char> = "医保社卡参登记税务营业执照ＡＰＰapp12345Ｅe，。 \n\t　😀é́𠮷豈-_"
            .chars()
            .collect();
        let mut rng = Lcg(20_260_101);
        for round in 0..300 {
            let body = rng.text(&alphabet, if round % 10 == 0 { 5_000 } else { 300 });
            let query = rng.text(&alphabet, 12);
            for t in terms(&body) {
                assert!(!t.is_empty() && t.len() <= MAX_TERM_BYTES);
            }
            let t = terms(&body);
            assert!(t.len() <= MAX_TERMS);
            assert_eq!(t.iter().collect::<BTreeSet<_>>().len(), t.len());
            let q = query_terms(&query);
            assert!(q.len() <= MAX_QUERY_TERMS);
            assert!(q.iter().all(|t| t.len() <= MAX_TERM_BYTES));

            let s = snippet(&body, &lookup(&q));
            let shown = plain(&s);
            assert!(shown.chars().count() <= SNIPPET_CHARS, "{s}");
            let visible: String = body
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            assert!(visible.contains(&shown), "{s:?} not in {body:?}");
            assert_eq!(s.matches('【').count(), s.matches('】').count(), "{s:?}");

            let article = Article {
                id: format!("kb-{round}"),
                category: "generated".into(),
                title: rng.text(&alphabet, 20),
                body,
                keywords: vec![rng.text(&alphabet, 5)],
                status: ArticleStatus::Published,
                version: 1,
                updated_by: "fuzz".into(),
                updated_ms: NOW,
            };
            assert!(article.index_terms().len() <= MAX_TERMS);
            for hit in rank(&query, &[article, medical()], 5) {
                assert!(hit.score.is_finite() && hit.score > 0.0);
                assert!(plain(&hit.snippet).chars().count() <= SNIPPET_CHARS);
            }
        }
    }

    #[test]
    fn very_long_text_is_handled() {
        let body: String = "城乡居民基本医疗保险参保登记Ａpp12345，".repeat(20_000);
        let t = terms(&body);
        assert!(t.len() < 40);
        let mut a = medical();
        a.body = body;
        let hits = rank(&"医保参保app".repeat(100), &[a, sscard()], 10);
        assert_eq!(hits[0].id, "kb-medical-enrol");
        assert!(plain(&hits[0].snippet).chars().count() <= SNIPPET_CHARS);
    }
}
