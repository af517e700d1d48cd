//! The directory plugins read: halls by code, enabled people with a role
//! by username, the same on both databases.

use bantong_store::Store;

use crate::both;
use crate::common::{Backend, TestDb};

both!(halls_by_code_and_enabled_people_by_username);

async fn hall(store: &Store, id: &str, code: &str, grade: &str) {
    sqlx::query(
        "INSERT INTO halls (id, code, name_zh, name_en, grade, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, 0)",
    )
    .bind(id)
    .bind(code)
    .bind(format!("{id}大厅"))
    .bind(format!("{id} hall"))
    .bind(grade)
    .execute(store.pool())
    .await
    .unwrap();
}

async fn user(store: &Store, username: &str, roles: &str, halls: &str, disabled: bool) {
    sqlx::query(
        "INSERT INTO users (id, username, display_name, password_hash, roles, halls, \
         district_wide, disabled, created_at, updated_at, password_changed_at) \
         VALUES ($1, $2, $3, 'x', $4, $5, $6, $7, 0, 0, 0)",
    )
    .bind(format!("u-{username}"))
    .bind(username)
    .bind(username.to_uppercase())
    .bind(roles)
    .bind(halls)
    .bind(i64::from(halls == "[]"))
    .bind(i64::from(disabled))
    .execute(store.pool())
    .await
    .unwrap();
}

async fn halls_by_code_and_enabled_people_by_username(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = db.store.directory();
    assert!(dir.halls().await.unwrap().is_empty());
    assert!(dir.people("inspector").await.unwrap().is_empty());

    // Codes a locale collation would order differently from code points.
    hall(&db.store, "xinhe", "b-02", "basic").await;
    hall(&db.store, "bailou", "B01", "demonstration").await;
    hall(&db.store, "anle", "a_03", "standard").await;
    let halls = dir.halls().await.unwrap();
    let codes: Vec<_> = halls.iter().map(|h| h.code.as_str()).collect();
    assert_eq!(codes, ["B01", "a_03", "b-02"], "{backend:?}");
    assert_eq!(halls[0].id, "bailou");
    assert_eq!(halls[0].name_zh, "bailou大厅");
    assert_eq!(halls[0].grade, "demonstration");

    user(&db.store, "zhao", r#"["inspector"]"#, "[]", false).await;
    user(
        &db.store,
        "li.si",
        r#"["hall-manager","inspector"]"#,
        r#"["bailou"]"#,
        false,
    )
    .await;
    user(&db.store, "lisi", r#"["inspector"]"#, r#"["xinhe"]"#, true).await;
    user(
        &db.store,
        "wang",
        r#"["hall-manager"]"#,
        r#"["bailou"]"#,
        false,
    )
    .await;
    // Before "li.si" in a locale that ignores punctuation, after it by code point.
    user(&db.store, "lia", r#"["inspector"]"#, r#"["anle"]"#, false).await;
    // A role that only contains the one asked for is not it.
    user(&db.store, "qian", r#"["chief-inspector"]"#, "[]", false).await;

    let inspectors = dir.people("inspector").await.unwrap();
    let names: Vec<_> = inspectors.iter().map(|p| p.username.as_str()).collect();
    assert_eq!(names, ["li.si", "lia", "zhao"], "{backend:?}");
    assert_eq!(inspectors[0].user_id, "u-li.si");
    assert_eq!(inspectors[0].display_name, "LI.SI");
    assert_eq!(inspectors[0].roles, ["hall-manager", "inspector"]);
    assert_eq!(inspectors[0].halls, ["bailou"]);
    assert!(!inspectors[0].district_wide);
    assert!(inspectors[2].district_wide);

    let managers = dir.people("hall-manager").await.unwrap();
    let names: Vec<_> = managers.iter().map(|p| p.username.as_str()).collect();
    assert_eq!(names, ["li.si", "wang"]);
    for role in ["", "INSPECTOR", "inspect%", "in_pector", "nobody"] {
        assert!(dir.people(role).await.unwrap().is_empty(), "{role:?}");
    }
}
