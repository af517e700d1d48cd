//! 行政办事员 certification: each staff member's education, years and
//! certificates; enrolment batches checked against the rules; results that
//! issue certificates; 持证率 per hall.

use std::collections::BTreeMap;

use bantong_hall_kit::figure::Figure;
use bantong_sdk::storage::{self, Document, Query, Write};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::bank::all;
use super::docs::day_of;
use super::settings::{self, hall_names};
use super::{conflict, invalid, not_found, path, require_reader, require_trainer};
use crate::cert::{Certificate, Education, Level, Profile, certificate_number, eligible, passes};
use crate::exam::Candidate;

pub const PROFILES: &str = "profiles";
pub const BATCHES: &str = "cert_batches";

/// A staff member's record (id: the user id; in their hall).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileDoc {
    pub name: String,
    #[serde(flatten)]
    pub profile: Profile,
    /// Indexed: the highest level held, or "".
    pub held: String,
}

impl ProfileDoc {
    fn new(name: String, profile: Profile) -> ProfileDoc {
        let held = profile
            .highest()
            .map_or(String::new(), |c| c.level.as_str().to_owned());
        ProfileDoc {
            name,
            profile,
            held,
        }
    }
}

/// One person enrolled in a batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Enrolled {
    pub user_id: String,
    pub name: String,
    #[serde(default)]
    pub hall: Option<String>,
    /// The route met, or why not.
    pub eligible: bool,
    pub basis: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theory: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

/// An enrolment batch (id: host-assigned).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchDoc {
    pub title: String,
    pub level: Level,
    /// `YYYY-MM-DD`.
    pub exam_date: String,
    pub people: Vec<Enrolled>,
    pub by: String,
    pub created_ms: i64,
}

fn staff() -> Result<Vec<Candidate>, Response> {
    let s = settings::load()?;
    settings::candidates(&s.staff_roles, &[])
}

fn profiles() -> Result<BTreeMap<String, Document<ProfileDoc>>, Response> {
    Ok(all::<ProfileDoc>(Query::new(PROFILES), 20_000)?
        .into_iter()
        .map(|d| (d.id.clone(), d))
        .collect())
}

/// `GET /certification/staff`: every staff member in scope with their
/// education, years, certificates, and what they may sit next.
pub fn list(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_reader(caller)?;
    let today = day_of(clock::now());
    let names = hall_names();
    let rules = super::settings::certification_rules(&super::settings::load()?)?;
    let stored = profiles()?;
    let items: Vec<Value> = staff()?
        .into_iter()
        .filter(|c| caller.district_wide || c.hall.as_ref().is_some_and(|h| caller.can_act_for(h)))
        .map(|c| {
            let p = stored.get(&c.user_id).map(|d| &d.body.profile);
            let highest = p.and_then(Profile::highest);
            let next = Level::ALL
                .into_iter()
                .find(|l| highest.is_none_or(|h| *l > h.level));
            let may = match (p, next) {
                (Some(p), Some(l)) => eligible(p, l, &rules, &today)
                    .map(|_| format!("可报考{}", l.zh()))
                    .unwrap_or_else(|e| e.to_string()),
                (None, _) => "未登记学历与从业年限".into(),
                (_, None) => "已持最高等级".into(),
            };
            json!({
                "id": c.user_id,
                "name": c.name,
                "hall": c.hall,
                "hall_zh": c.hall.as_ref().and_then(|h| names.get(h)),
                "education_zh": p.map(|p| p.education.zh()),
                "since": p.map(|p| p.since.clone()),
                "years": p.map(|p| crate::cert::years_between(&p.since, &today)),
                "level_zh": highest.map(|h| h.level.zh()),
                "certificate": highest.map(|h| h.number.clone()),
                "certified_on": highest.map(|h| h.date.clone()),
                "next": may,
            })
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": items.len() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileInput {
    education: Education,
    since: String,
    #[serde(default)]
    certificates: Vec<Certificate>,
}

/// `PUT /certification/staff/{id}`: records a person's education, start in
/// the occupation and certificates held.
pub fn record(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_trainer(caller)?;
    let id = path(&req, "id")?;
    let input: ProfileInput = req.json()?;
    let today = day_of(clock::now());
    if !crate::question::valid_date(&input.since) || input.since.as_str() > today.as_str() {
        return Err(invalid(format!("从业起始日期“{}”无效", input.since)));
    }
    for c in &input.certificates {
        if !crate::question::valid_date(&c.date)
            || c.number.trim().is_empty()
            || c.number.len() > 40
        {
            return Err(invalid("证书须有编号和有效的发证日期"));
        }
    }
    let who = staff()?
        .into_iter()
        .find(|c| c.user_id == id)
        .ok_or_else(|| not_found("没有这名工作人员", format!("no staff member {id}")))?;
    if !caller.district_wide && !who.hall.as_ref().is_some_and(|h| caller.can_act_for(h)) {
        return Err(super::forbidden(
            "只能登记本人负责大厅的人员",
            "not your hall",
        ));
    }
    let doc = ProfileDoc::new(
        who.name.clone(),
        Profile {
            education: input.education,
            since: input.since,
            certificates: input.certificates,
        },
    );
    let stored = storage::put(PROFILES, Write::new(doc).id(id).hall(who.hall.clone()))?;
    Ok(Response::ok(&json!({ "id": id, "held": stored.body.held })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchInput {
    title: String,
    level: Level,
    exam_date: String,
    /// User ids; none: every staff member in scope not yet holding the level.
    #[serde(default)]
    people: Vec<String>,
}

/// `POST /certification/batches`: an enrolment list, each person checked
/// against the level's routes (those who do not qualify are listed with
/// the reason, not enrolled silently).
pub fn enrol(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_trainer(caller)?;
    let input: BatchInput = req.json()?;
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(invalid("批次名称须为1至100字"));
    }
    if !crate::question::valid_date(&input.exam_date) {
        return Err(invalid(format!("考试日期“{}”无效", input.exam_date)));
    }
    let today = day_of(clock::now());
    let rules = super::settings::certification_rules(&super::settings::load()?)?;
    let stored = profiles()?;
    let in_scope: Vec<Candidate> = staff()?
        .into_iter()
        .filter(|c| caller.district_wide || c.hall.as_ref().is_some_and(|h| caller.can_act_for(h)))
        .collect();
    let chosen: Vec<&Candidate> = if input.people.is_empty() {
        in_scope
            .iter()
            .filter(|c| {
                stored
                    .get(&c.user_id)
                    .and_then(|d| d.body.profile.highest())
                    .is_none_or(|h| h.level < input.level)
            })
            .collect()
    } else {
        let mut v = Vec::new();
        for id in &input.people {
            let c = in_scope
                .iter()
                .find(|c| &c.user_id == id)
                .ok_or_else(|| invalid(format!("人员“{id}”不在您负责的大厅")))?;
            v.push(c);
        }
        v
    };
    if chosen.is_empty() {
        return Err(invalid("没有可报名的人员"));
    }
    // Eligibility on the exam day (or today, for a day already past).
    let on = input.exam_date.clone().max(today);
    let people: Vec<Enrolled> = chosen
        .into_iter()
        .map(|c| {
            let (eligible, basis) = match stored.get(&c.user_id) {
                None => (false, "未登记学历与从业年限".to_owned()),
                Some(d) => match eligible(&d.body.profile, input.level, &rules, &on) {
                    Ok(route) => (true, route.zh()),
                    Err(e) => (false, e.to_string()),
                },
            };
            Enrolled {
                user_id: c.user_id.clone(),
                name: c.name.clone(),
                hall: c.hall.clone(),
                eligible,
                basis,
                theory: None,
                skill: None,
                passed: None,
                certificate: None,
            }
        })
        .collect();
    let doc = BatchDoc {
        title: title.to_owned(),
        level: input.level,
        exam_date: input.exam_date,
        people,
        by: caller.user_id.clone(),
        created_ms: clock::now(),
    };
    let stored = storage::put(BATCHES, Write::new(doc))?;
    let eligible = stored.body.people.iter().filter(|p| p.eligible).count();
    Ok(Response::created(&json!({
        "id": stored.id,
        "enrolled": eligible,
        "not_eligible": stored.body.people.len() - eligible,
    })))
}

fn batch_view(id: &str, b: &BatchDoc, names: &BTreeMap<String, String>) -> Value {
    let people: Vec<Value> = b
        .people
        .iter()
        .map(|p| {
            json!({
                "user_id": p.user_id, "name": p.name, "hall": p.hall,
                "hall_zh": p.hall.as_ref().and_then(|h| names.get(h)),
                "eligible": p.eligible, "basis": p.basis, "theory": p.theory, "skill": p.skill,
                "passed": p.passed, "certificate": p.certificate,
            })
        })
        .collect();
    json!({
        "id": id, "title": b.title, "level": b.level, "level_zh": b.level.zh(), "exam_date": b.exam_date,
        "enrolled": b.people.iter().filter(|p| p.eligible).count(),
        "passed": b.people.iter().filter(|p| p.passed == Some(true)).count(),
        "people": people,
    })
}

/// `GET /certification/batches`.
pub fn batches(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let names = hall_names();
    let page = storage::query::<BatchDoc>(&Query::new(BATCHES).sort_desc("_created").limit(100))?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|d| {
            let mut v = batch_view(&d.id, &d.body, &names);
            if let Value::Object(m) = &mut v {
                m.remove("people");
            }
            v
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}

/// `GET /certification/batches/{id}`.
pub fn batch(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let id = path(&req, "id")?;
    let d = storage::get::<BatchDoc>(BATCHES, id)?
        .ok_or_else(|| not_found("没有这个报名批次", format!("no batch {id}")))?;
    Ok(Response::ok(&batch_view(id, &d.body, &hall_names())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResultInput {
    person: String,
    theory: f64,
    skill: f64,
    /// The number on the certificate; made from the configured prefix
    /// when not given.
    #[serde(default)]
    certificate: Option<String>,
}

/// `POST /certification/batches/{id}/results`: one person's result; a pass
/// issues the certificate (dated the exam day) onto their record.
pub fn result(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_trainer(caller)?;
    let id = path(&req, "id")?;
    let input: ResultInput = req.json()?;
    for s in [input.theory, input.skill] {
        if !s.is_finite() || !(0.0..=100.0).contains(&s) {
            return Err(invalid("成绩须为0至100分"));
        }
    }
    let d = storage::get::<BatchDoc>(BATCHES, id)?
        .ok_or_else(|| not_found("没有这个报名批次", format!("no batch {id}")))?;
    let mut b = d.body;
    let level = b.level;
    let date = b.exam_date.clone();
    let i = b
        .people
        .iter()
        .position(|p| p.user_id == input.person)
        .ok_or_else(|| invalid("此人不在该批次的名单中"))?;
    if !b.people[i].eligible {
        return Err(conflict(
            "not_eligible",
            format!("{}不符合报考条件，不能登记成绩", b.people[i].name),
        ));
    }
    if b.people[i].passed.is_some() {
        return Err(conflict("recorded", "成绩已登记"));
    }
    let passed = passes(input.theory, input.skill);
    let year: i64 = date
        .get(0..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or_default();
    let issued = b.people.iter().filter(|p| p.certificate.is_some()).count() as u32;
    let number = passed.then(|| {
        input
            .certificate
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| {
                certificate_number(
                    &settings::load()
                        .map(|s| s.certificate_prefix)
                        .unwrap_or_default(),
                    year,
                    level,
                    issued + 1,
                )
            })
    });
    {
        let p = &mut b.people[i];
        p.theory = Some(input.theory);
        p.skill = Some(input.skill);
        p.passed = Some(passed);
        p.certificate = number.clone();
    }
    let person = b.people[i].clone();
    storage::put(BATCHES, Write::new(b).id(id).expected_version(d.version))?;
    if let Some(number) = &number {
        let current = storage::get::<ProfileDoc>(PROFILES, &person.user_id)?
            .ok_or_else(|| invalid("此人未登记学历与从业年限"))?;
        let mut profile = current.body.profile;
        profile.certificates.push(Certificate {
            level,
            number: number.clone(),
            date: date.clone(),
        });
        storage::put(
            PROFILES,
            Write::new(ProfileDoc::new(person.name.clone(), profile))
                .id(&person.user_id)
                .hall(current.hall.clone())
                .expected_version(current.version),
        )?;
        settings::notify(
            &[(person.user_id.clone(), person.hall.clone())],
            &format!(
                "【持证上岗】您已通过行政办事员{}考核，证书编号{number}。",
                level.zh()
            ),
            "training.certificate",
        );
    }
    Ok(Response::ok(
        &json!({ "person": person.user_id, "passed": passed, "certificate": number }),
    ))
}

/// 持证率 of the district and each hall: staff holding a certificate ÷
/// staff.
pub fn rates() -> Result<(Figure, BTreeMap<String, Figure>), Response> {
    const DEF: &str = "持证率 = 持有行政办事员证书的工作人员 / 工作人员 certified rate = staff holding a certificate / staff";
    let stored = profiles()?;
    let mut halls: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let (mut held, mut all) = (0, 0);
    for c in staff()? {
        let has = stored
            .get(&c.user_id)
            .is_some_and(|d| !d.body.profile.certificates.is_empty());
        let h = halls.entry(c.hall.unwrap_or_default()).or_default();
        h.0 += u64::from(has);
        h.1 += 1;
        held += u64::from(has);
        all += 1;
    }
    Ok((
        Figure::ratio(held, all, DEF),
        halls
            .into_iter()
            .map(|(h, (n, d))| (h, Figure::ratio(n, d, DEF)))
            .collect(),
    ))
}

/// `GET /certification/rate`.
pub fn rate(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let (overall, halls) = rates()?;
    let names = hall_names();
    let items: Vec<Value> = halls
        .iter()
        .filter(|(h, _)| !h.is_empty())
        .map(|(h, f)| json!({ "hall": h, "hall_zh": names.get(h), "rate": f.value, "held": f.numerator, "staff": f.denominator }))
        .collect();
    Ok(Response::ok(
        &json!({ "overall": overall, "items": items, "total": items.len() }),
    ))
}
