//! The knowledge base (知识库): articles per service item, versioned, with
//! Chinese full-text search. Every published article's index terms
//! ([`crate::knowledge::terms`]: character unigrams and bigrams, ASCII
//! words) are stored as `article_terms` documents — an inverted index in
//! the database. A search asks the database which articles hold the most
//! of the query's terms (one grouped count), loads the best candidates and
//! ranks them with [`crate::knowledge::rank`] (BM25 with field weights).

use bantong_sdk::storage::{self, Aggregate, Document, Op, Query, Write};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::docs::{ARTICLE_TERMS, ARTICLE_VERSIONS, ARTICLES, next_seq};
use super::{forbidden, invalid, param, settings};
use crate::knowledge::{
    Article, ArticleInput, create as create_article, query_terms, rank, revise as revise_article,
};

/// Candidates loaded for ranking.
const CANDIDATES: usize = 50;
/// Most hits a search returns.
const MAX_HITS: usize = 50;

/// One index entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TermDoc {
    term: String,
    article: String,
}

/// A past version.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct VersionDoc {
    article: String,
    #[serde(flatten)]
    body: Article,
}

fn may_edit(req: &Request) -> Result<String, Response> {
    let caller = req.require_caller()?;
    if !(super::is_agent(caller)
        || caller.has_role(super::SUPERVISOR)
        || caller.has_role("district-admin"))
    {
        return Err(forbidden(
            "无权编辑知识库",
            "agents, inspectors and admins edit the knowledge base",
        ));
    }
    Ok(caller.user_id.clone())
}

fn check_category(category: &str) -> Result<(), Response> {
    let r = settings::load()?;
    if r.catalogue.entry(category).is_none() {
        return Err(invalid(
            "未知的服务事项",
            format!("unknown category `{category}`"),
        ));
    }
    Ok(())
}

/// Replaces an article's index entries (none unless published).
fn reindex(article: &Article) -> Result<(), Response> {
    loop {
        let old = storage::query::<Value>(
            &Query::new(ARTICLE_TERMS)
                .filter("article", Op::Eq, &article.id)
                .limit(1000),
        )?;
        if old.items.is_empty() {
            break;
        }
        for d in old.items {
            storage::delete(ARTICLE_TERMS, &d.id)?;
        }
    }
    if article.is_published() {
        for (i, term) in article.index_terms().into_iter().enumerate() {
            let doc = TermDoc {
                term,
                article: article.id.clone(),
            };
            storage::put(
                ARTICLE_TERMS,
                Write::new(doc.clone()).id(format!("{}-{i}", article.id)),
            )?;
        }
    }
    Ok(())
}

fn store(article: &Article, expected: Option<u64>) -> Result<Document<Article>, Response> {
    let w = Write::new(article.clone()).id(&article.id);
    let stored = storage::put(
        ARTICLES,
        match expected {
            Some(v) => w.expected_version(v),
            None => w.create_only(),
        },
    )?;
    let version = VersionDoc {
        article: article.id.clone(),
        body: article.clone(),
    };
    storage::put(
        ARTICLE_VERSIONS,
        Write::new(version.clone())
            .id(format!("{}-v{}", article.id, article.version))
            .create_only(),
    )?;
    reindex(article)?;
    Ok(stored)
}

fn next_article_id() -> Result<String, Response> {
    Ok(format!("KB{:05}", next_seq("seq-articles")?))
}

/// `POST /knowledge`: a new article (version 1).
pub fn create(req: Request) -> HandlerResult {
    let actor = may_edit(&req)?;
    let input: ArticleInput = req.json()?;
    input.validate().map_err(|e| invalid("知识条目有误", e))?;
    check_category(&input.category)?;
    let id = next_article_id()?;
    let article =
        create_article(&id, input, &actor, clock::now()).map_err(|e| invalid("知识条目有误", e))?;
    store(&article, None)?;
    Ok(Response::created(&article))
}

/// `PUT /knowledge/{id}`: a new version; the old one stays readable.
pub fn revise(req: Request) -> HandlerResult {
    let actor = may_edit(&req)?;
    let id = req.param("id").unwrap_or_default().to_owned();
    let input: ArticleInput = req.json()?;
    input.validate().map_err(|e| invalid("知识条目有误", e))?;
    check_category(&input.category)?;
    let Some(current) = storage::get::<Article>(ARTICLES, &id)? else {
        return Err(Response::not_found(format!(
            "没有这条知识 / no article {id}"
        )));
    };
    let article = revise_article(&current.body, input, &actor, clock::now())
        .map_err(|e| invalid("知识条目有误", e))?;
    store(&article, Some(current.version))?;
    Ok(Response::ok(&article))
}

/// `GET /knowledge/{id}`: the current version and the list of versions.
pub fn get(req: Request) -> HandlerResult {
    req.require_caller()?;
    let id = req.param("id").unwrap_or_default();
    let Some(doc) = storage::get::<Article>(ARTICLES, id)? else {
        return Err(Response::not_found(format!(
            "没有这条知识 / no article {id}"
        )));
    };
    let versions = storage::query::<VersionDoc>(
        &Query::new(ARTICLE_VERSIONS)
            .filter("article", Op::Eq, id)
            .sort_desc("version")
            .limit(200),
    )?;
    let versions: Vec<Value> = versions
        .items
        .iter()
        .map(|v| json!({ "version": v.body.body.version, "updated_by": v.body.body.updated_by, "updated_ms": v.body.body.updated_ms, "status": v.body.body.status }))
        .collect();
    Ok(Response::ok(
        &json!({ "article": doc.body, "versions": versions }),
    ))
}

/// `GET /knowledge/{id}/versions/{version}`.
pub fn version(req: Request) -> HandlerResult {
    req.require_caller()?;
    let id = req.param("id").unwrap_or_default();
    let v: u32 = req
        .param("version")
        .unwrap_or_default()
        .parse()
        .map_err(|_| {
            Response::bad_request("版本号应为正整数 / version must be a positive integer")
        })?;
    match storage::get::<VersionDoc>(ARTICLE_VERSIONS, &format!("{id}-v{v}"))? {
        Some(d) => Ok(Response::ok(&d.body.body)),
        None => Err(Response::not_found(format!(
            "没有该版本 / article {id} has no version {v}"
        ))),
    }
}

/// `GET /knowledge?q=&category=&limit=`: ranked hits with snippets, or the
/// newest published articles when `q` is empty.
/// `GET /service-items?q=&limit=`: the district catalogue's items for the
/// query ([`crate::service_items::search`]), with what the caller must be
/// told at once; `catalogue` is the version searched (null: none yet).
pub fn service_items(req: Request) -> HandlerResult {
    req.require_caller()?;
    let limit = req
        .query_parse::<usize>("limit")?
        .unwrap_or(10)
        .clamp(1, MAX_HITS);
    let q = param(&req, "q").unwrap_or("");
    if q.chars().count() > 200 {
        return Err(invalid(
            "检索词过长",
            "the query is longer than 200 characters",
        ));
    }
    let Some(published) = bantong_sdk::catalogue::current() else {
        return Ok(Response::ok(&json!({
            "items": [], "total": 0, "catalogue": null,
            "notice": "区事项库尚未发布 / the district has not published its service catalogue yet"
        })));
    };
    let catalogue: bantong_hall_kit::catalogue::Catalogue = published
        .parse()
        .map_err(|e| bantong_sdk::Error::Json(format!("catalogue: {e}")))?;
    let hits = crate::service_items::search(&catalogue, q, limit);
    let total = hits.len();
    Ok(Response::ok(&json!({
        "items": hits, "total": total, "catalogue": published.version
    })))
}

pub fn search(req: Request) -> HandlerResult {
    req.require_caller()?;
    let limit = req
        .query_parse::<usize>("limit")?
        .unwrap_or(10)
        .clamp(1, MAX_HITS);
    let category = param(&req, "category");
    let q = param(&req, "q").unwrap_or("");
    if q.chars().count() > 200 {
        return Err(invalid(
            "检索词过长",
            "the query is longer than 200 characters",
        ));
    }
    let terms = query_terms(q);
    if terms.is_empty() {
        let page = storage::query::<Article>(
            &Query::new(ARTICLES)
                .filter("status", Op::Eq, "published")
                .filter_opt("category", Op::Eq, category)
                .sort_desc("updated_ms")
                .limit(u32::try_from(limit).unwrap_or(10)),
        )?;
        let items: Vec<Value> = page
            .items
            .iter()
            .map(|d| json!({ "id": d.id, "title": d.body.title, "category": d.body.category, "version": d.body.version, "snippet": d.body.body.chars().take(80).collect::<String>() }))
            .collect();
        return Ok(Response::ok(
            &json!({ "items": items, "total": page.total }),
        ));
    }
    let groups = storage::aggregate(
        &Aggregate::new(ARTICLE_TERMS)
            .filter("term", Op::AnyOf, &terms)
            .group_by("article")
            .count(),
    )?;
    let mut counted: Vec<(String, f64)> = groups
        .iter()
        .filter_map(|g| Some((g.key_str(0)?.to_owned(), g.value(0).unwrap_or(0.0))))
        .collect();
    counted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut candidates = Vec::new();
    for (id, _) in counted.into_iter().take(CANDIDATES) {
        if let Some(d) = storage::get::<Article>(ARTICLES, &id)?
            && category.is_none_or(|c| d.body.category == c)
        {
            candidates.push(d.body);
        }
    }
    let hits = rank(q, &candidates, limit);
    let total = hits.len();
    Ok(Response::ok(
        &json!({ "items": hits, "total": total, "terms": terms }),
    ))
}
