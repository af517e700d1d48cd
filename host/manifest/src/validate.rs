//! The rules a parsed manifest must satisfy beyond its TOML shape.

use crate::error::{Problems, Result};
use crate::manifest::{Limits, Manifest, World};
use crate::{collection, config, names, route, schedule, topic, view};

/// Most entries each list may hold; bounds the cost of validating a manifest
/// (schedules are the dearest: a never-firing expression is searched to 5000 AD).
const MAX_ENTRIES: [(&str, usize); 8] = [
    ("capabilities.events-publish", 64),
    ("capabilities.storage-read", 64),
    ("capabilities.module-reads", 64),
    ("routes", 256),
    ("subscriptions", 128),
    ("schedules", 32),
    ("collections", 64),
    ("views", 128),
];

impl Manifest {
    /// Checks every rule and reports all problems found, in document order.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Problems::default();
        self.validate_header(&mut problems);
        // A list over its cap is reported and not looked into.
        let oversized: Vec<&str> = self
            .list_lengths()
            .into_iter()
            .zip(MAX_ENTRIES)
            .filter(|(len, (_, max))| len > max)
            .map(|(len, (at, max))| {
                problems.push(
                    at,
                    format!("at most {max} entries are allowed, found {len}"),
                );
                at
            })
            .collect();
        let fits = |at: &str| !oversized.contains(&at);

        if fits("capabilities.events-publish")
            && fits("capabilities.storage-read")
            && fits("capabilities.module-reads")
        {
            self.capabilities.validate(&self.id, &mut problems);
        }
        if self.world == World::Edge {
            self.edge_rules(&mut problems);
        } else {
            self.wit_rules(&mut problems);
        }
        if fits("routes") {
            route::validate(&self.routes, &mut problems);
            self.public_write_rules(&mut problems);
        }
        if fits("subscriptions") {
            self.validate_subscriptions(&mut problems);
        }
        if fits("schedules") {
            schedule::validate(&self.schedules, &mut problems);
        }
        if self.world == World::Module && !self.collections.is_empty() && !self.capabilities.storage
        {
            problems.push(
                "collections",
                "declaring collections requires `storage = true` in [capabilities]",
            );
        }
        if fits("collections") {
            collection::validate(&self.collections, &mut problems);
        }
        if let Some(section) = &self.config {
            config::check_manifest_schema(&section.schema, &mut problems);
        }
        if fits("views") {
            view::validate(&self.views, &mut problems);
        }
        validate_limits(&self.limits, &mut problems);
        problems.into_result()
    }

    /// Lengths of the lists in [`MAX_ENTRIES`], in its order.
    fn list_lengths(&self) -> [usize; 8] {
        [
            self.capabilities.events_publish.len(),
            self.capabilities.storage_read.len(),
            self.capabilities.module_reads.len(),
            self.routes.len(),
            self.subscriptions.len(),
            self.schedules.len(),
            self.collections.len(),
            self.views.len(),
        ]
    }

    /// Id, WIT version, vendor, name and description.
    fn validate_header(&self, problems: &mut Problems) {
        if !names::is_plugin_id(&self.id) {
            problems.push("id", names::PLUGIN_ID_RULE);
        }
        let wit = self.wit.to_string();
        if !Self::SUPPORTED_WIT.contains(&wit.as_str()) {
            problems.push(
                "wit",
                format!(
                    "WIT version {wit} is not supported (supported: {})",
                    Self::SUPPORTED_WIT.join(", ")
                ),
            );
        }
        if let Some(vendor) = &self.vendor
            && (vendor.trim().is_empty() || vendor.chars().count() > 128)
        {
            problems.push("vendor", "must be 1 to 128 characters");
        }
        self.name.validate("name", 64, problems);
        if let Some(description) = &self.description {
            description.validate("description", 2000, problems);
        }
    }

    fn validate_subscriptions(&self, problems: &mut Problems) {
        for (i, subscription) in self.subscriptions.iter().enumerate() {
            let at = format!("subscriptions[{i}].topic");
            if let Some(problem) = topic::pattern_problem(&subscription.topic) {
                problems.push(at, problem);
            } else if subscription
                .topic
                .starts_with(crate::capability::HALL_TOPIC_PREFIX)
                && !self
                    .capabilities
                    .events_subscribe
                    .iter()
                    .any(|p| crate::topic::pattern_covers(p, &subscription.topic))
            {
                problems.push(
                    at,
                    format!(
                        "{:?} is a hall event: list a pattern covering it in capabilities.events-subscribe",
                        subscription.topic
                    ),
                );
            } else if self.subscriptions[..i]
                .iter()
                .any(|s| s.topic == subscription.topic)
            {
                problems.push(
                    at,
                    format!("duplicate subscription {:?}", subscription.topic),
                );
            }
        }
    }

    /// A capability whose interface a later WIT version brought needs a
    /// manifest built against that version or a newer one: older bindings
    /// cannot import it, so the grant would be for nothing.
    fn wit_rules(&self, problems: &mut Problems) {
        let c = &self.capabilities;
        for (field, wanted, since) in [
            (
                "capabilities.directory",
                c.directory,
                semver::Version::new(0, 1, 3),
            ),
            (
                "capabilities.module-reads",
                !c.module_reads.is_empty(),
                semver::Version::new(0, 1, 4),
            ),
        ] {
            if wanted && self.wit < since {
                problems.push(
                    field,
                    format!(
                        "needs WIT {since} or later (the manifest declares wit = \"{}\")",
                        self.wit
                    ),
                );
            }
        }
    }

    /// A public route that is not `GET` lets anyone write: the manifest must
    /// say so with `public-writes`, which the operator's policy then grants
    /// or not; and asking for it without such a route grants nothing.
    fn public_write_rules(&self, problems: &mut Problems) {
        let writes = self
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.public && r.method != route::Method::Get);
        let mut any = false;
        for (i, _) in writes {
            any = true;
            if !self.capabilities.public_writes {
                problems.push(
                    format!("routes[{i}].public"),
                    "a public route that is not GET needs `public-writes = true` in [capabilities]",
                );
            }
        }
        if self.capabilities.public_writes && !any && self.world == World::Module {
            problems.push(
                "capabilities.public-writes",
                "no public route other than GET uses it",
            );
        }
    }

    /// The edge world imports only config, clock, log and uplink, and exports
    /// no HTTP handler, storage or portal.
    fn edge_rules(&self, problems: &mut Problems) {
        const WHY: &str = "is not available to edge plugins";
        let c = &self.capabilities;
        if c.storage {
            problems.push("capabilities.storage", WHY);
        }
        if !c.storage_read.is_empty() {
            problems.push("capabilities.storage-read", WHY);
        }
        if c.blobs {
            problems.push("capabilities.blobs", WHY);
        }
        if c.notices {
            problems.push("capabilities.notices", WHY);
        }
        if c.documents {
            problems.push("capabilities.documents", WHY);
        }
        if c.directory {
            problems.push("capabilities.directory", WHY);
        }
        if c.public_writes {
            problems.push("capabilities.public-writes", WHY);
        }
        if !c.module_reads.is_empty() {
            problems.push("capabilities.module-reads", WHY);
        }
        if !c.events_subscribe.is_empty() {
            problems.push("capabilities.events-subscribe", WHY);
        }
        for (field, empty) in [
            ("routes", self.routes.is_empty()),
            ("collections", self.collections.is_empty()),
            ("views", self.views.is_empty()),
        ] {
            if !empty {
                problems.push(field, WHY);
            }
        }
    }
}

fn validate_limits(limits: &Limits, problems: &mut Problems) {
    for (field, value, max) in [
        ("limits.memory-mib", limits.memory_mib, 4096),
        ("limits.timeout-ms", limits.timeout_ms, 600_000),
        ("limits.max-body-kib", limits.max_body_kib, 1_048_576),
    ] {
        if let Some(value) = value
            && (value == 0 || value > max)
        {
            problems.push(field, format!("must be between 1 and {max}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Manifest;

    const MINIMAL: &str = r#"
id = "queue"
version = "1.0.0"
wit = "0.1.0"
name = { zh = "排队叫号", en = "Queue" }
"#;

    fn errors(extra: &str) -> String {
        match Manifest::parse(&format!("{MINIMAL}{extra}")) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn minimal_manifest_is_valid() {
        assert_eq!(errors(""), "");
    }

    #[test]
    fn edge_plugins_cannot_use_host_only_features() {
        let text = errors(
            r#"world = "edge"
[capabilities]
storage = true
blobs = true
storage-read = ["hotline/orders"]
[[routes]]
method = "GET"
path = "/"
[[views]]
id = "v"
kind = "list"
title = { zh = "列表", en = "List" }
"#,
        );
        assert_eq!(
            text,
            "capabilities.storage: is not available to edge plugins\n\
             capabilities.storage-read: is not available to edge plugins\n\
             capabilities.blobs: is not available to edge plugins\n\
             routes: is not available to edge plugins\n\
             views: is not available to edge plugins"
        );
    }

    #[test]
    fn the_directory_needs_wit_0_1_3_and_the_module_world() {
        assert_eq!(
            errors("[capabilities]\ndirectory = true\n"),
            "capabilities.directory: needs WIT 0.1.3 or later (the manifest declares wit = \"0.1.0\")"
        );
        let newer = |wit: &str, extra: &str| {
            let text = format!("{MINIMAL}{extra}[capabilities]\ndirectory = true\n")
                .replace("wit = \"0.1.0\"", &format!("wit = \"{wit}\""));
            match Manifest::parse(&text) {
                Ok(m) => Ok(m.requested_capabilities()),
                Err(e) => Err(e.to_string()),
            }
        };
        let granted = newer("0.1.3", "").unwrap();
        assert!(granted.contains(&crate::Capability::Directory));
        assert_eq!(
            newer("0.1.3", "world = \"edge\"\n").unwrap_err(),
            "capabilities.directory: is not available to edge plugins"
        );
        // Not asking for it is fine whatever the version.
        assert_eq!(errors("[capabilities]\ndirectory = false\n"), "");
    }

    #[test]
    fn anonymous_writes_are_declared_and_rate_limited() {
        let route = "[[routes]]\nmethod = \"POST\"\npath = \"/answers\"\npublic = true\n";
        assert_eq!(
            errors(&format!("{route}per-minute = 20\n")),
            "routes[0].public: a public route that is not GET needs `public-writes = true` in [capabilities]"
        );
        assert_eq!(
            errors(&format!("[capabilities]\npublic-writes = true\n{route}")),
            "routes[0].per-minute: a public route that is not GET must limit anonymous calls per address (1 to 600 per minute)"
        );
        assert_eq!(
            errors("[capabilities]\npublic-writes = true\n"),
            "capabilities.public-writes: no public route other than GET uses it"
        );
        let text =
            format!("{MINIMAL}[capabilities]\npublic-writes = true\n{route}per-minute = 20\n");
        let manifest = Manifest::parse(&text).unwrap();
        assert!(
            manifest
                .requested_capabilities()
                .contains(&crate::Capability::PublicWrites)
        );
        // Manifests without it keep their canonical bytes (and signatures).
        let plain = Manifest::parse(MINIMAL).unwrap().canonical_bytes().unwrap();
        assert!(!String::from_utf8_lossy(&plain).contains("public-writes"));
        assert!(!String::from_utf8_lossy(&plain).contains("per-minute"));
    }

    #[test]
    fn module_reads_are_declared_by_the_reader_and_opted_into_by_the_route() {
        let reads = "[capabilities]\nmodule-reads = [\"supervision\", \"queue\", \"Bad\", \"supervision\"]\n";
        assert_eq!(
            errors(reads),
            "capabilities.module-reads[1]: names the plugin itself\n\
             capabilities.module-reads[2]: \"Bad\" must be 2 to 40 lowercase letters, digits or '-', starting with a letter\n\
             capabilities.module-reads[3]: duplicate entry \"supervision\"\n\
             capabilities.module-reads: needs WIT 0.1.4 or later (the manifest declares wit = \"0.1.0\")"
        );
        assert_eq!(
            errors("[[routes]]\nmethod = \"POST\"\npath = \"/x\"\nmodule-read = true\n"),
            "routes[0].module-read: only a GET route can be read by other modules"
        );
        let newer = MINIMAL.replace("0.1.0", "0.1.4");
        let m = Manifest::parse(&format!(
            "{newer}[capabilities]\nmodule-reads = [\"supervision\"]\n[[routes]]\nmethod = \"GET\"\npath = \"/figures\"\nmodule-read = true\n"
        ))
        .unwrap();
        assert!(
            m.requested_capabilities()
                .contains(&crate::Capability::ModuleRead("supervision".into()))
        );
        assert!(m.routes[0].module_read);
        let edge = Manifest::parse(&format!(
            "{newer}world = \"edge\"\n[capabilities]\nmodule-reads = [\"supervision\"]\n"
        ))
        .unwrap_err()
        .to_string();
        assert_eq!(
            edge,
            "capabilities.module-reads: is not available to edge plugins"
        );
        // Manifests without them keep their canonical bytes (and signatures).
        let plain = Manifest::parse(MINIMAL).unwrap().canonical_bytes().unwrap();
        assert!(!String::from_utf8_lossy(&plain).contains("module-read"));
    }

    #[test]
    fn collections_need_storage() {
        assert_eq!(
            errors("[[collections]]\nname = \"tickets\"\n"),
            "collections: declaring collections requires `storage = true` in [capabilities]"
        );
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(
            errors("[limits]\nmemory-mib = 0\ntimeout-ms = 700000\nmax-body-kib = 64\n"),
            "limits.memory-mib: must be between 1 and 4096\n\
             limits.timeout-ms: must be between 1 and 600000"
        );
    }

    #[test]
    fn long_lists_are_refused_without_looking_inside() {
        let many: String = (0..33)
            .map(|i| format!("[[schedules]]\nname = \"s{i}\"\ncron = \"0 0 31 2 *\"\n"))
            .collect();
        assert_eq!(
            errors(&many),
            "schedules: at most 32 entries are allowed, found 33"
        );
        let roles: Vec<String> = (0..65).map(|i| format!("\"r{i}\"")).collect();
        assert_eq!(
            errors(&format!(
                "[[routes]]\nmethod = \"GET\"\npath = \"/\"\nroles = [{}]\n",
                roles.join(", ")
            )),
            "routes[0].roles[64]: at most 64 roles are allowed"
        );
    }

    #[test]
    fn subscriptions_are_checked() {
        assert_eq!(
            errors("[[subscriptions]]\ntopic = \"a.*\"\n[[subscriptions]]\ntopic = \"a.*\"\n"),
            "subscriptions[1].topic: duplicate subscription \"a.*\""
        );
    }
}
