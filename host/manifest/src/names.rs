//! The naming rules shared by manifest fields (plugin ids, roles, collections, fields).

/// Metadata fields every stored document has; collections may index them but
/// not declare them.
pub const METADATA_FIELDS: [&str; 5] = ["_id", "_hall", "_version", "_created", "_updated"];

fn lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `^[a-z][a-z0-9-]{1,39}$`: a plugin id.
pub fn is_plugin_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && (2..=40).contains(&s.len())
        && chars.all(|c| lower_alnum(c) || c == '-')
}

/// `^[a-z][a-z0-9-]{0,63}$`: role names, view ids, schedule names.
pub fn is_kebab_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && s.len() <= 64
        && chars.all(|c| lower_alnum(c) || c == '-')
}

/// `^[a-z][a-z0-9_]{0,63}$`: collection names.
pub fn is_collection_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && s.len() <= 64
        && chars.all(|c| lower_alnum(c) || c == '_')
}

/// `^[a-z_][a-z0-9_]*$`: one segment of a field path, or a route parameter.
pub fn is_snake_segment(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| lower_alnum(c) || c == '_')
}

/// `^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$`: a (possibly dotted) field path.
pub fn is_field_path(s: &str) -> bool {
    s.len() <= 128 && s.split('.').all(is_snake_segment)
}

/// Checks a role list: each a kebab name, no duplicates. Returns
/// `(index, message)` pairs.
pub fn role_problems(roles: &[String]) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    if roles.len() > MAX_ROLES {
        return vec![(MAX_ROLES, format!("at most {MAX_ROLES} roles are allowed"))];
    }
    for (i, role) in roles.iter().enumerate() {
        if !is_kebab_name(role) {
            problems.push((i, format!("{role:?} is not a role name ({KEBAB_RULE})")));
        } else if roles[..i].contains(role) {
            problems.push((i, format!("duplicate role {role:?}")));
        }
    }
    problems
}

/// `key` as it would be written in a TOML path: bare when it can be, quoted
/// otherwise (`fields."applicant.name"`).
pub fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

/// Most roles one route or view may name.
pub const MAX_ROLES: usize = 64;

/// How [`is_kebab_name`] is described in error messages.
pub const KEBAB_RULE: &str =
    "lowercase letters, digits and '-', starting with a letter, at most 64 characters";

/// How [`is_plugin_id`] is described in error messages.
pub const PLUGIN_ID_RULE: &str =
    "must be 2 to 40 lowercase letters, digits or '-', starting with a letter";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_ids() {
        assert!(is_plugin_id("hotline"));
        assert!(is_plugin_id("ab"));
        assert!(is_plugin_id("door-service-2"));
        assert!(is_plugin_id(&format!("a{}", "b".repeat(39))));
        assert!(!is_plugin_id(&format!("a{}", "b".repeat(40))));
        assert!(!is_plugin_id("a"));
        assert!(!is_plugin_id("1abc"));
        assert!(!is_plugin_id("Hotline"));
        assert!(!is_plugin_id("hot_line"));
        assert!(!is_plugin_id("热线"));
    }

    #[test]
    fn field_paths() {
        assert!(is_field_path("title"));
        assert!(is_field_path("_private"));
        assert!(is_field_path("applicant.name"));
        assert!(is_field_path("a_1.b_2.c"));
        assert!(!is_field_path("applicant."));
        assert!(!is_field_path(".name"));
        assert!(!is_field_path("Name"));
        assert!(!is_field_path("1st"));
        assert!(!is_field_path(""));
        assert!(!is_field_path("a..b"));
    }

    #[test]
    fn other_names() {
        assert!(is_kebab_name("hall-manager"));
        assert!(!is_kebab_name("hall_manager"));
        assert!(is_collection_name("work_orders"));
        assert!(!is_collection_name("work-orders"));
        assert!(is_snake_segment("id"));
        assert!(!is_snake_segment(""));
    }

    #[test]
    fn toml_keys() {
        assert_eq!(toml_key("title"), "title");
        assert_eq!(toml_key("applicant.name"), "\"applicant.name\"");
        assert_eq!(toml_key(""), "\"\"");
    }

    #[test]
    fn roles_are_checked() {
        let roles = vec!["leader".to_owned(), "Bad".to_owned(), "leader".to_owned()];
        let problems = role_problems(&roles);
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].0, 1);
        assert_eq!(problems[1], (2, "duplicate role \"leader\"".to_owned()));
    }
}
