//! Identity on SQLite and PostgreSQL: login, lockout, sessions and their timeouts, CSRF, API
//! tokens, hall scoping, bootstrap, the password policy, permissions and the audit trail of
//! every identity write.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod identity_support;

use std::time::Duration;

use bantong_host::audit::AuditQuery;
use bantong_host::identity::{
    HallGrade, HallUpdate, Identity, IdentityConfig, IdentityError, NewHall, NewUser,
    PasswordParams, Principal, PrincipalKind, Role, User, UserUpdate, check_password_policy,
};
use bantong_store::Store;
use sha2::{Digest, Sha256};
use sqlx::Row;

use identity_support::{both_databases, identity, test_config};

both_databases!(
    login_succeeds,
    wrong_password_and_unknown_user_look_alike,
    lockout_after_failures_and_unlock_after_the_period,
    idle_and_absolute_timeouts,
    csrf_tokens,
    logout_ends_the_session,
    api_tokens,
    hall_scoping,
    bootstrap_admin_only_once,
    weak_passwords_are_rejected,
    password_change_and_admin_reset,
    permissions_and_guards,
    identity_writes_are_audited,
);

/// 2026-01-01T00:00:00Z.
const NOW: i64 = 1_767_225_600_000;
const MINUTE: i64 = 60_000;
const PASSWORD: &str = "Window-Staff-2026";

fn admin() -> Principal {
    Principal::system("test")
}

async fn hall(id: &Identity, hall_id: &str, code: &str) {
    id.create_hall(
        &admin(),
        NewHall {
            id: hall_id.into(),
            code: code.into(),
            name_zh: format!("{hall_id}中心"),
            name_en: format!("{hall_id} hall"),
            grade: HallGrade::Demonstration,
        },
    )
    .await
    .unwrap();
}

async fn user(
    id: &Identity,
    username: &str,
    roles: &[Role],
    halls: &[&str],
    district_wide: bool,
) -> User {
    id.create_user(
        &admin(),
        NewUser {
            username: username.into(),
            display_name: format!("{username} 同志"),
            password: PASSWORD.into(),
            roles: roles.to_vec(),
            halls: halls.iter().map(|h| (*h).to_owned()).collect(),
            district_wide,
            must_change_password: false,
        },
    )
    .await
    .unwrap()
}

async fn staff(id: &Identity) -> User {
    hall(id, "bailou", "001").await;
    user(id, "zhangwei", &[Role::WindowStaff], &["bailou"], false).await
}

async fn actions(id: &Identity) -> Vec<String> {
    let mut rows = id
        .audit()
        .query(&AuditQuery {
            limit: Some(1000),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    rows.reverse();
    rows.into_iter().map(|r| r.action).collect()
}

async fn login_succeeds(store: Store) {
    let id = identity(store.clone());
    let u = staff(&id).await;
    let (session, principal) = id.login("ZhangWei", PASSWORD, NOW).await.unwrap();
    assert_eq!(principal.user_id, u.id);
    assert_eq!(principal.username, "zhangwei");
    assert_eq!(principal.kind, PrincipalKind::User);
    assert_eq!(principal.roles, vec![Role::WindowStaff]);
    assert_eq!(session.expires_at, NOW + 12 * 60 * MINUTE);
    assert!(session.cookie_secret.len() >= 43 && session.csrf_token.len() >= 43);
    assert_ne!(session.cookie_secret, session.csrf_token);

    // Only the SHA-256 of the cookie secret is stored.
    let rows = sqlx::query("SELECT id, csrf_token FROM sessions")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let stored_id: String = rows[0].get("id");
    assert_eq!(
        stored_id,
        hex::encode(Sha256::digest(session.cookie_secret.as_bytes()))
    );
    assert_eq!(stored_id, session.id);
    assert!(
        !format!("{session:?}").contains(&session.cookie_secret),
        "Debug redacts the secret"
    );

    let (again, csrf) = id
        .authenticate_session(&session.cookie_secret, NOW + MINUTE)
        .await
        .unwrap();
    assert_eq!(again, principal);
    assert_eq!(csrf, session.csrf_token);
    assert!(matches!(
        id.authenticate_session("not-a-session", NOW).await,
        Err(IdentityError::InvalidCredentials)
    ));
    assert!(matches!(
        id.authenticate_session(&"x".repeat(10_000), NOW).await,
        Err(IdentityError::InvalidCredentials)
    ));

    // A hash made with other cost parameters is upgraded at the next login.
    let stored_hash = |store: Store| async move {
        sqlx::query("SELECT password_hash FROM users")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get::<String, _>("password_hash")
    };
    assert!(stored_hash(store.clone()).await.contains("m=8,t=1,p=1"));
    let stronger = Identity::new(
        store.clone(),
        IdentityConfig {
            password: PasswordParams {
                memory_kib: 64,
                iterations: 2,
                parallelism: 1,
            },
            ..test_config()
        },
    )
    .unwrap();
    stronger.login("zhangwei", PASSWORD, NOW).await.unwrap();
    assert!(stored_hash(store.clone()).await.contains("m=64,t=2,p=1"));
    id.login("zhangwei", PASSWORD, NOW).await.unwrap();

    let logins = id
        .audit()
        .query(&AuditQuery {
            action: Some("session.login".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(logins.len(), 3);
    assert_eq!(logins[0].actor, u.id);
    assert_eq!(logins[0].actor_kind, "user");
    assert_eq!(logins[0].at, NOW);
}

async fn wrong_password_and_unknown_user_look_alike(store: Store) {
    let id = identity(store);
    let u = staff(&id).await;
    let wrong = id
        .login("zhangwei", "Wrong-Password-1", NOW)
        .await
        .unwrap_err();
    let unknown = id.login("nobody", PASSWORD, NOW).await.unwrap_err();
    let invalid_name = id
        .login("Not A Username!", PASSWORD, NOW)
        .await
        .unwrap_err();
    assert!(matches!(wrong, IdentityError::InvalidCredentials));
    assert!(matches!(unknown, IdentityError::InvalidCredentials));
    assert!(matches!(invalid_name, IdentityError::InvalidCredentials));
    assert_eq!(wrong.to_string(), unknown.to_string());
    assert_eq!(id.get_user(&u.id).await.unwrap().failed_logins, 1);

    let failures = id
        .audit()
        .query(&AuditQuery {
            action: Some("session.login_failed".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(failures.len(), 3);
    assert!(
        failures
            .iter()
            .all(|f| f.actor == "anonymous" && f.actor_kind == "anonymous")
    );
    let reasons: Vec<_> = failures
        .iter()
        .map(|f| f.detail["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["unknown_user", "unknown_user", "bad_password"]);
    assert_eq!(
        failures[0].detail["username"], "<invalid>",
        "a non-username is not logged"
    );
    assert_eq!(failures[1].detail["username"], "nobody");
    assert!(
        failures
            .iter()
            .all(|f| !f.detail.to_string().contains("Wrong-Password")),
        "passwords are never audited"
    );

    // A success resets the counter.
    id.login("zhangwei", PASSWORD, NOW).await.unwrap();
    assert_eq!(id.get_user(&u.id).await.unwrap().failed_logins, 0);
}

async fn lockout_after_failures_and_unlock_after_the_period(store: Store) {
    let id = identity(store);
    let u = staff(&id).await;
    let until = NOW + 15 * MINUTE;
    for i in 1..=4 {
        let e = id
            .login("zhangwei", "Wrong-Password-1", NOW)
            .await
            .unwrap_err();
        assert!(
            matches!(e, IdentityError::InvalidCredentials),
            "attempt {i}: {e:?}"
        );
    }
    assert_eq!(id.get_user(&u.id).await.unwrap().failed_logins, 4);
    let fifth = id
        .login("zhangwei", "Wrong-Password-1", NOW)
        .await
        .unwrap_err();
    assert!(
        matches!(fifth, IdentityError::Locked { until: u } if u == until),
        "{fifth:?}"
    );
    assert_eq!(id.get_user(&u.id).await.unwrap().locked_until, Some(until));

    // Locked: even the right password fails, and further failures do not extend the lock.
    for t in [NOW + MINUTE, until - 1] {
        let e = id.login("zhangwei", PASSWORD, t).await.unwrap_err();
        assert!(
            matches!(e, IdentityError::Locked { until: u } if u == until),
            "{e:?}"
        );
    }
    let e = id
        .login("zhangwei", "Wrong-Password-1", NOW + 2 * MINUTE)
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::Locked { until: u } if u == until));

    // After the period the right password works again and clears the lock.
    let (_, principal) = id.login("zhangwei", PASSWORD, until).await.unwrap();
    assert_eq!(principal.user_id, u.id);
    let after = id.get_user(&u.id).await.unwrap();
    assert_eq!((after.failed_logins, after.locked_until), (0, None));

    // A fresh series of failures is needed to lock again.
    for _ in 1..=4 {
        id.login("zhangwei", "Wrong-Password-1", until + 1)
            .await
            .unwrap_err();
    }
    id.login("zhangwei", PASSWORD, until + 2).await.unwrap();

    let acts = actions(&id).await;
    assert_eq!(acts.iter().filter(|a| *a == "user.lockout").count(), 1);
    assert_eq!(
        acts.iter()
            .filter(|a| *a == "session.login_refused")
            .count(),
        3
    );
    assert!(id.audit().verify().await.unwrap().ok);

    // Concurrent wrong passwords all count, and lock exactly once.
    let id2 = id.clone();
    user(&id2, "lina", &[Role::WindowStaff], &["bailou"], false).await;
    let attempts = (0..8).map(|_| {
        let id = id2.clone();
        tokio::spawn(async move { id.login("lina", "Wrong-Password-1", NOW).await })
    });
    let mut locked = 0;
    for a in attempts {
        if let Err(IdentityError::Locked { .. }) = a.await.unwrap() {
            locked += 1;
        }
    }
    assert!(
        locked >= 4,
        "the 5th to 8th attempts see the lock ({locked})"
    );
    assert_eq!(
        actions(&id2)
            .await
            .iter()
            .filter(|a| *a == "user.lockout")
            .count(),
        2
    );
}

async fn idle_and_absolute_timeouts(store: Store) {
    let id = identity(store.clone());
    staff(&id).await;
    let last_seen = |store: Store| async move {
        sqlx::query("SELECT last_seen_at FROM sessions")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get::<i64, _>("last_seen_at")
    };

    let (s, _) = id.login("zhangwei", PASSWORD, NOW).await.unwrap();
    // last_seen_at is written at most every 30 s.
    id.authenticate_session(&s.cookie_secret, NOW + 10_000)
        .await
        .unwrap();
    assert_eq!(last_seen(store.clone()).await, NOW);
    id.authenticate_session(&s.cookie_secret, NOW + 40_000)
        .await
        .unwrap();
    assert_eq!(last_seen(store.clone()).await, NOW + 40_000);
    // Activity keeps the session alive past one idle period ...
    let t = NOW + 40_000 + 29 * MINUTE;
    id.authenticate_session(&s.cookie_secret, t).await.unwrap();
    // ... and 30 idle minutes end it, for good.
    let e = id
        .authenticate_session(&s.cookie_secret, t + 30 * MINUTE)
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::Expired), "{e:?}");
    let e = id
        .authenticate_session(&s.cookie_secret, t + MINUTE)
        .await
        .unwrap_err();
    assert!(
        matches!(e, IdentityError::InvalidCredentials),
        "an expired session is deleted"
    );

    // However active, a session ends at the absolute timeout (12 h).
    let (s, _) = id.login("zhangwei", PASSWORD, NOW).await.unwrap();
    let mut t = NOW;
    while t + 20 * MINUTE < s.expires_at {
        t += 20 * MINUTE;
        id.authenticate_session(&s.cookie_secret, t).await.unwrap();
    }
    let e = id
        .authenticate_session(&s.cookie_secret, s.expires_at)
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::Expired), "{e:?}");

    // Shorter configured timeouts apply.
    let short = Identity::new(
        store.clone(),
        IdentityConfig {
            idle_timeout: Duration::from_secs(60),
            ..test_config()
        },
    )
    .unwrap();
    let (s, _) = short.login("zhangwei", PASSWORD, NOW).await.unwrap();
    short
        .authenticate_session(&s.cookie_secret, NOW + 59_000)
        .await
        .unwrap();
    assert!(matches!(
        short
            .authenticate_session(&s.cookie_secret, NOW + 59_000 + 60_000)
            .await,
        Err(IdentityError::Expired)
    ));

    // The periodic purge removes expired sessions.
    id.login("zhangwei", PASSWORD, NOW).await.unwrap();
    assert_eq!(
        id.purge_expired_sessions(NOW + 31 * MINUTE).await.unwrap(),
        1
    );
}

async fn csrf_tokens(store: Store) {
    let id = identity(store);
    staff(&id).await;
    let (s, _) = id.login("zhangwei", PASSWORD, NOW).await.unwrap();
    let (_, csrf) = id
        .authenticate_session(&s.cookie_secret, NOW)
        .await
        .unwrap();
    assert!(Identity::verify_csrf(&csrf, &s.csrf_token));
    assert!(s.verify_csrf(&csrf));
    assert!(!Identity::verify_csrf(&csrf, ""));
    assert!(!Identity::verify_csrf(&csrf, &s.cookie_secret));
    assert!(!Identity::verify_csrf(&csrf, &csrf[..csrf.len() - 1]));
    let mut flipped = csrf.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    assert!(!Identity::verify_csrf(
        &csrf,
        std::str::from_utf8(&flipped).unwrap()
    ));
    assert!(
        !Identity::verify_csrf("", ""),
        "an empty expected token never matches"
    );

    // Each session has its own token.
    let (s2, _) = id.login("zhangwei", PASSWORD, NOW).await.unwrap();
    assert!(!Identity::verify_csrf(&s2.csrf_token, &s.csrf_token));
}

async fn logout_ends_the_session(store: Store) {
    let id = identity(store);
    let u = staff(&id).await;
    let (s, _) = id.login("zhangwei", PASSWORD, NOW).await.unwrap();
    let (other, _) = id.login("zhangwei", PASSWORD, NOW).await.unwrap();
    id.logout(&s.cookie_secret, NOW + MINUTE).await.unwrap();
    assert!(matches!(
        id.authenticate_session(&s.cookie_secret, NOW + MINUTE)
            .await,
        Err(IdentityError::InvalidCredentials)
    ));
    id.authenticate_session(&other.cookie_secret, NOW + MINUTE)
        .await
        .unwrap();
    id.logout(&s.cookie_secret, NOW + MINUTE).await.unwrap();
    let logouts = id
        .audit()
        .query(&AuditQuery {
            action: Some("session.logout".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(logouts.len(), 1, "a second logout is a no-op");
    assert_eq!(logouts[0].actor, u.id);

    // Sign out everywhere.
    let (principal, _) = id
        .authenticate_session(&other.cookie_secret, NOW)
        .await
        .unwrap();
    assert_eq!(id.end_all_sessions(&principal, &u.id).await.unwrap(), 1);
    assert!(
        id.authenticate_session(&other.cookie_secret, NOW)
            .await
            .is_err()
    );
}

async fn api_tokens(store: Store) {
    let id = identity(store.clone());
    let u = staff(&id).await;
    let (token, plaintext) = id
        .create_token(&admin(), &u.id, "queue display", None)
        .await
        .unwrap();
    assert!(
        plaintext.starts_with(&format!("bt_{}_", token.id)),
        "{plaintext}"
    );
    assert_eq!(token.user_id, u.id);

    let p = id.authenticate_token(&plaintext, NOW).await.unwrap();
    assert_eq!(p.user_id, u.id);
    assert_eq!(
        p.kind,
        PrincipalKind::Token {
            token_id: token.id.clone()
        }
    );
    assert!(p.can_access_hall("bailou"));

    // Only a hash is stored.
    let stored: String = sqlx::query("SELECT token_hash FROM api_tokens")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get("token_hash");
    let secret = plaintext.rsplit('_').next().unwrap();
    assert_eq!(stored, hex::encode(Sha256::digest(secret.as_bytes())));
    assert!(!stored.contains(secret));

    // Wrong or malformed tokens.
    let mut wrong = plaintext.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    for bad in [wrong.as_str(), "bt_nope_nope", "", "Bearer whatever"] {
        assert!(matches!(
            id.authenticate_token(bad, NOW).await,
            Err(IdentityError::InvalidCredentials)
        ));
    }

    // Who may create tokens.
    let other = user(&id, "lina", &[Role::Inspector], &[], true).await;
    let (lina, _) = id.login("lina", PASSWORD, NOW).await.unwrap();
    let (lina_principal, _) = id
        .authenticate_session(&lina.cookie_secret, NOW)
        .await
        .unwrap();
    assert!(matches!(
        id.create_token(&lina_principal, &u.id, "not mine", None)
            .await,
        Err(IdentityError::Forbidden(_))
    ));
    let (own, own_plain) = id
        .create_token(&lina_principal, &other.id, "my script", None)
        .await
        .unwrap();
    let via_token = id.authenticate_token(&own_plain, NOW).await.unwrap();
    assert!(matches!(
        id.create_token(&via_token, &other.id, "chained", None)
            .await,
        Err(IdentityError::Forbidden(_))
    ));
    assert!(matches!(
        id.revoke_token(&lina_principal, &token.id).await,
        Err(IdentityError::Forbidden(_))
    ));

    // Revocation.
    let revoked = id.revoke_token(&admin(), &token.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(matches!(
        id.authenticate_token(&plaintext, NOW).await,
        Err(IdentityError::InvalidCredentials)
    ));
    id.revoke_token(&admin(), &token.id).await.unwrap();
    id.authenticate_token(&own_plain, NOW).await.unwrap();
    let listed = id.list_tokens(Some(&u.id)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].revoked_at.is_some());
    assert!(listed[0].last_used_at.is_some());
    assert_eq!(id.list_tokens(None).await.unwrap().len(), 2);
    assert_eq!(id.list_tokens(Some(&other.id)).await.unwrap()[0].id, own.id);

    // Expiry (the clock is injected).
    let soon = bantong_host::identity::now_ms() + 60 * MINUTE;
    let (_, expiring) = id
        .create_token(&admin(), &u.id, "temporary", Some(soon))
        .await
        .unwrap();
    id.authenticate_token(&expiring, soon - 1).await.unwrap();
    assert!(matches!(
        id.authenticate_token(&expiring, soon).await,
        Err(IdentityError::Expired)
    ));
    assert!(matches!(
        id.create_token(&admin(), &u.id, "past", Some(1)).await,
        Err(IdentityError::Invalid(_))
    ));

    // A disabled user's tokens stop working.
    id.set_disabled(&admin(), &other.id, true).await.unwrap();
    assert!(matches!(
        id.authenticate_token(&own_plain, NOW).await,
        Err(IdentityError::Disabled)
    ));

    // Audited, with the token used recorded.
    let acts = actions(&id).await;
    assert_eq!(acts.iter().filter(|a| *a == "token.create").count(), 3);
    assert_eq!(acts.iter().filter(|a| *a == "token.revoke").count(), 1);
}

async fn hall_scoping(store: Store) {
    let id = identity(store);
    hall(&id, "bailou", "001").await;
    hall(&id, "wuyao", "002").await;
    hall(&id, "wusilu", "003").await;
    user(
        &id,
        "zhangwei",
        &[Role::WindowStaff, Role::HallManager],
        &["bailou", "wusilu"],
        false,
    )
    .await;
    user(&id, "leader", &[Role::Leader], &[], true).await;

    let (s, p) = id.login("zhangwei", PASSWORD, NOW).await.unwrap();
    assert!(p.can_access_hall("bailou") && p.can_access_hall("wusilu"));
    assert!(!p.can_access_hall("wuyao"));
    assert!(p.has_role(Role::HallManager) && !p.is_admin() && !p.has_role(Role::Leader));
    assert!(p.has_any_role(&[Role::Leader, Role::WindowStaff]));

    let (_, leader) = id.login("leader", PASSWORD, NOW).await.unwrap();
    assert!(
        ["bailou", "wuyao", "wusilu"]
            .iter()
            .all(|h| leader.can_access_hall(h))
    );
    assert!(!leader.is_admin());

    // Scope changes apply to existing sessions at once.
    id.update_user(
        &admin(),
        &p.user_id,
        UserUpdate {
            halls: Some(vec!["wuyao".into()]),
            ..UserUpdate::default()
        },
    )
    .await
    .unwrap();
    let (p, _) = id
        .authenticate_session(&s.cookie_secret, NOW)
        .await
        .unwrap();
    assert!(p.can_access_hall("wuyao") && !p.can_access_hall("bailou"));
    assert_eq!(p.halls, vec!["wuyao".to_owned()]);

    // Unknown halls are refused.
    let e = id
        .update_user(
            &admin(),
            &p.user_id,
            UserUpdate {
                halls: Some(vec!["atlantis".into()]),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::Invalid(_)), "{e:?}");

    // Halls: list, get, update, conflicts.
    let halls = id.list_halls().await.unwrap();
    assert_eq!(
        halls.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        ["bailou", "wuyao", "wusilu"]
    );
    let updated = id
        .update_hall(
            &admin(),
            "wuyao",
            HallUpdate {
                grade: Some(HallGrade::Basic),
                name_en: Some("Wuyao Township".into()),
                ..HallUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.grade, HallGrade::Basic);
    assert_eq!(id.get_hall("wuyao").await.unwrap(), updated);
    assert_eq!(HallGrade::Basic.label_zh(), "简朴型");
    assert!(matches!(
        id.get_hall("atlantis").await,
        Err(IdentityError::NotFound(_))
    ));
    let dup = NewHall {
        id: "bailou".into(),
        code: "009".into(),
        name_zh: "百楼镇".into(),
        name_en: "Bailou".into(),
        grade: HallGrade::Demonstration,
    };
    assert!(matches!(
        id.create_hall(&admin(), dup.clone()).await,
        Err(IdentityError::Conflict(_))
    ));
    let dup_code = NewHall {
        id: "dongjin".into(),
        code: "001".into(),
        ..dup.clone()
    };
    assert!(matches!(
        id.create_hall(&admin(), dup_code).await,
        Err(IdentityError::Conflict(_))
    ));
    let bad_id = NewHall {
        id: "Bai Lou".into(),
        ..dup
    };
    assert!(matches!(
        id.create_hall(&admin(), bad_id).await,
        Err(IdentityError::Invalid(_))
    ));
    assert!(matches!(
        id.update_hall(
            &admin(),
            "wuyao",
            HallUpdate {
                code: Some("001".into()),
                ..HallUpdate::default()
            }
        )
        .await,
        Err(IdentityError::Conflict(_))
    ));
}

async fn bootstrap_admin_only_once(store: Store) {
    let id = identity(store);
    // Two concurrent bootstraps: exactly one wins.
    let a = tokio::spawn({
        let id = id.clone();
        async move { id.bootstrap_admin("admin", "系统管理员").await }
    });
    let b = tokio::spawn({
        let id = id.clone();
        async move { id.bootstrap_admin("admin2", "系统管理员").await }
    });
    let results = [a.await.unwrap(), b.await.unwrap()];
    let winners: Vec<&String> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Err(IdentityError::Conflict(_))))
    );
    let password = winners[0].clone();
    check_password_policy("admin", &password).unwrap();

    let users = id.list_users().await.unwrap();
    assert_eq!(users.len(), 1);
    let (_, p) = id.login(&users[0].username, &password, NOW).await.unwrap();
    assert!(p.is_admin() && p.district_wide && p.must_change_password);

    // Never again once a user exists.
    assert!(matches!(
        id.bootstrap_admin("another", "Another").await,
        Err(IdentityError::Conflict(_))
    ));
    let boot = id
        .audit()
        .query(&AuditQuery {
            action: Some("user.bootstrap_admin".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(boot.len(), 1);
    assert_eq!(
        (boot[0].actor.as_str(), boot[0].actor_kind.as_str()),
        ("system:bootstrap", "system")
    );
}

async fn weak_passwords_are_rejected(store: Store) {
    let id = identity(store);
    hall(&id, "bailou", "001").await;
    let new = |password: &str, username: &str| NewUser {
        username: username.into(),
        display_name: "测试".into(),
        password: password.into(),
        roles: vec![Role::WindowStaff],
        halls: vec!["bailou".into()],
        district_wide: false,
        must_change_password: true,
    };
    for (pw, name) in [
        ("Sh0rt!", "zhangwei"),
        ("alllowercaseletters", "zhangwei"),
        ("lowercase1234567", "zhangwei"),
        ("ALLUPPER-CASE", "zhangwei"),
        ("Zhang.Wei-2026", "zhang.wei-2026"),
    ] {
        let e = id.create_user(&admin(), new(pw, name)).await.unwrap_err();
        assert!(matches!(e, IdentityError::WeakPassword(_)), "{pw}: {e:?}");
    }
    assert!(id.list_users().await.unwrap().is_empty());

    let u = id
        .create_user(&admin(), new("Zhang.Wei-2026", "zhangwei"))
        .await
        .unwrap();
    assert!(u.must_change_password);
    let (_, p) = id.login("zhangwei", "Zhang.Wei-2026", NOW).await.unwrap();
    let e = id
        .change_password(&p, "Zhang.Wei-2026", "password")
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::WeakPassword(_)));
    let e = id
        .change_password(&p, "Zhang.Wei-2026", "Zhang.Wei-2026")
        .await
        .unwrap_err();
    assert!(
        matches!(e, IdentityError::WeakPassword(_)),
        "the same password again"
    );

    // Other bad input.
    let e = id
        .create_user(&admin(), new("Good-Password-1", "x"))
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::Invalid(_)));
    let e = id
        .create_user(&admin(), new("Good-Password-1", "zhangwei"))
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::Conflict(_)), "{e:?}");
    let e = id
        .create_user(&admin(), new("Good-Password-1", "ZhangWei"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, IdentityError::Conflict(_)),
        "usernames are case-insensitive"
    );
}

async fn password_change_and_admin_reset(store: Store) {
    let id = identity(store);
    let u = staff(&id).await;
    let (s, p) = id.login("zhangwei", PASSWORD, NOW).await.unwrap();

    let e = id
        .change_password(&p, "Wrong-Password-1", "New-Password-2026")
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::InvalidCredentials));
    let failed = id
        .audit()
        .query(&AuditQuery {
            action: Some("user.password_change_failed".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (failed[0].actor.as_str(), failed[0].actor_kind.as_str()),
        (u.id.as_str(), "user")
    );
    assert_eq!(
        id.get_user(&u.id).await.unwrap().failed_logins,
        1,
        "counts towards lockout"
    );

    id.change_password(&p, PASSWORD, "New-Password-2026")
        .await
        .unwrap();
    assert!(
        id.authenticate_session(&s.cookie_secret, NOW)
            .await
            .is_err(),
        "sessions end"
    );
    assert!(matches!(
        id.login("zhangwei", PASSWORD, NOW).await,
        Err(IdentityError::InvalidCredentials)
    ));
    let (s, p) = id
        .login("zhangwei", "New-Password-2026", NOW)
        .await
        .unwrap();
    assert!(!p.must_change_password);

    // A token cannot change the password.
    let (_, t) = id.create_token(&p, &u.id, "mine", None).await.unwrap();
    let tp = id.authenticate_token(&t, NOW).await.unwrap();
    assert!(matches!(
        id.change_password(&tp, "New-Password-2026", "Other-Password-2026")
            .await,
        Err(IdentityError::Forbidden(_))
    ));

    // Lock the account, then an administrator resets it.
    for _ in 0..5 {
        id.login("zhangwei", "Wrong-Password-1", NOW)
            .await
            .unwrap_err();
    }
    assert!(matches!(
        id.login("zhangwei", "New-Password-2026", NOW).await,
        Err(IdentityError::Locked { .. })
    ));
    assert!(matches!(
        id.admin_reset_password(&p, &u.id).await,
        Err(IdentityError::Forbidden(_))
    ));
    let temporary = id.admin_reset_password(&admin(), &u.id).await.unwrap();
    check_password_policy("zhangwei", &temporary).unwrap();
    assert!(
        id.authenticate_session(&s.cookie_secret, NOW)
            .await
            .is_err()
    );
    let (_, p) = id.login("zhangwei", &temporary, NOW).await.unwrap();
    assert!(p.must_change_password);
    id.change_password(&p, &temporary, "Final-Password-2026")
        .await
        .unwrap();
    let (_, p) = id
        .login("zhangwei", "Final-Password-2026", NOW)
        .await
        .unwrap();
    assert!(!p.must_change_password);
}

async fn permissions_and_guards(store: Store) {
    let id = identity(store);
    let u = staff(&id).await;
    let (_, staff_p) = id.login("zhangwei", PASSWORD, NOW).await.unwrap();
    let forbidden = |r: Result<_, IdentityError>| matches!(r, Err(IdentityError::Forbidden(_)));
    assert!(forbidden(
        id.create_hall(
            &staff_p,
            NewHall {
                id: "x1".into(),
                code: "x".into(),
                name_zh: "x".into(),
                name_en: "x".into(),
                grade: HallGrade::Basic
            }
        )
        .await
        .map(|_| ())
    ));
    assert!(forbidden(
        id.update_user(
            &staff_p,
            &u.id,
            UserUpdate {
                roles: Some(vec![Role::DistrictAdmin]),
                ..Default::default()
            }
        )
        .await
        .map(|_| ())
    ));
    assert!(forbidden(
        id.set_disabled(&staff_p, &u.id, true).await.map(|_| ())
    ));
    assert!(id.get_user(&u.id).await.unwrap().roles == vec![Role::WindowStaff]);

    // An administrator user.
    let boss = user(&id, "boss", &[Role::DistrictAdmin], &[], true).await;
    let (_, boss_p) = id.login("boss", PASSWORD, NOW).await.unwrap();
    assert!(forbidden(
        id.set_disabled(&boss_p, &boss.id, true).await.map(|_| ())
    ));
    // The last enabled administrator keeps the role.
    let e = id
        .update_user(
            &boss_p,
            &boss.id,
            UserUpdate {
                roles: Some(vec![Role::Leader]),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::Conflict(_)), "{e:?}");
    let e = id.set_disabled(&admin(), &boss.id, true).await.unwrap_err();
    assert!(matches!(e, IdentityError::Conflict(_)), "{e:?}");

    // Disabling ends sessions; a disabled account cannot log in.
    let (s, _) = id.login("zhangwei", PASSWORD, NOW).await.unwrap();
    let disabled = id.set_disabled(&boss_p, &u.id, true).await.unwrap();
    assert!(disabled.disabled);
    assert!(
        id.authenticate_session(&s.cookie_secret, NOW)
            .await
            .is_err()
    );
    assert!(matches!(
        id.login("zhangwei", PASSWORD, NOW).await,
        Err(IdentityError::Disabled)
    ));
    assert!(matches!(
        id.login("zhangwei", "Wrong-Password-1", NOW).await,
        Err(IdentityError::InvalidCredentials)
    ));
    id.set_disabled(&boss_p, &u.id, false).await.unwrap();
    id.login("zhangwei", PASSWORD, NOW).await.unwrap();

    // Not found.
    assert!(matches!(
        id.get_user("nope").await,
        Err(IdentityError::NotFound(_))
    ));
    assert!(matches!(
        id.get_user_by_username("nope").await,
        Err(IdentityError::NotFound(_))
    ));
    assert_eq!(id.get_user_by_username("ZhangWei").await.unwrap().id, u.id);
    assert!(matches!(
        id.set_disabled(&admin(), "nope", true).await,
        Err(IdentityError::NotFound(_))
    ));
}

async fn identity_writes_are_audited(store: Store) {
    let id = identity(store);
    let password = id.bootstrap_admin("admin", "管理员").await.unwrap();
    let (admin_session, admin_p) = id.login("admin", &password, NOW).await.unwrap();
    id.change_password(&admin_p, &password, "Admin-Password-2026")
        .await
        .unwrap();
    let (admin_session2, admin_p) = id.login("admin", "Admin-Password-2026", NOW).await.unwrap();
    assert_ne!(admin_session.id, admin_session2.id);

    id.create_hall(
        &admin_p,
        NewHall {
            id: "bailou".into(),
            code: "001".into(),
            name_zh: "百楼镇".into(),
            name_en: "Bailou".into(),
            grade: HallGrade::Demonstration,
        },
    )
    .await
    .unwrap();
    id.update_hall(
        &admin_p,
        "bailou",
        HallUpdate {
            grade: Some(HallGrade::Standard),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let u = id
        .create_user(
            &admin_p,
            NewUser {
                username: "zhangwei".into(),
                display_name: "张伟".into(),
                password: PASSWORD.into(),
                roles: vec![Role::WindowStaff],
                halls: vec!["bailou".into()],
                district_wide: false,
                must_change_password: false,
            },
        )
        .await
        .unwrap();
    id.update_user(
        &admin_p,
        &u.id,
        UserUpdate {
            roles: Some(vec![Role::HallManager]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (_, token) = id
        .create_token(&admin_p, &admin_p.user_id, "ci", None)
        .await
        .unwrap();
    let token_p = id.authenticate_token(&token, NOW).await.unwrap();
    id.set_disabled(&token_p, &u.id, true).await.unwrap();
    id.set_disabled(&admin_p, &u.id, false).await.unwrap();
    let tokens = id.list_tokens(None).await.unwrap();
    id.revoke_token(&admin_p, &tokens[0].id).await.unwrap();
    id.admin_reset_password(&admin_p, &u.id).await.unwrap();
    for _ in 0..5 {
        id.login("zhangwei", "Wrong-Password-1", NOW)
            .await
            .unwrap_err();
    }
    id.logout(&admin_session2.cookie_secret, NOW).await.unwrap();

    let acts = actions(&id).await;
    assert_eq!(
        acts,
        [
            "user.bootstrap_admin",
            "session.login",
            "user.password_change",
            "session.login",
            "hall.create",
            "hall.update",
            "user.create",
            "user.update",
            "token.create",
            "user.disable",
            "user.enable",
            "token.revoke",
            "user.password_reset",
            "session.login_failed",
            "session.login_failed",
            "session.login_failed",
            "session.login_failed",
            "session.login_failed",
            "user.lockout",
            "session.logout",
        ]
    );
    let all = id
        .audit()
        .query(&AuditQuery {
            limit: Some(100),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let by = |action: &str| all.iter().find(|r| r.action == action).unwrap();
    assert_eq!(by("hall.create").actor, admin_p.user_id);
    assert_eq!(by("hall.create").hall.as_deref(), Some("bailou"));
    assert_eq!(by("hall.update").detail["grade"]["to"], "standard");
    assert_eq!(
        by("user.update").detail["roles"]["from"],
        serde_json::json!(["window-staff"])
    );
    let disable = by("user.disable");
    assert_eq!(
        (disable.actor.as_str(), disable.actor_kind.as_str()),
        (admin_p.user_id.as_str(), "token")
    );
    assert_eq!(disable.detail["via_token"], serde_json::json!(tokens[0].id));
    assert_eq!(by("user.enable").actor_kind, "user");
    assert!(
        all.iter()
            .all(|r| !r.detail.to_string().contains("Password-20")),
        "no passwords"
    );
    let report = id.audit().verify().await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.rows, acts.len() as u64);
}
