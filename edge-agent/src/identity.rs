//! The agent's identity, obtained once by enrolment with a one-time token
//! and kept in `<data_dir>/identity.json` (mode 0600: it holds the agent's
//! MQTT password).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use bantong_fabric::msg::{EnrolRequest, EnrolResponse};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// What enrolment gave this agent.
pub type Identity = EnrolResponse;

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("identity.json")
}

pub fn load(data_dir: &Path) -> anyhow::Result<Identity> {
    let p = path(data_dir);
    let text = std::fs::read(&p).with_context(|| {
        format!(
            "reading {} (enrol first: bantong-edge enrol --token …)",
            p.display()
        )
    })?;
    serde_json::from_slice(&text).with_context(|| format!("parsing {}", p.display()))
}

/// Stores an identity (mode 0600).
pub fn save(data_dir: &Path, identity: &Identity) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(data_dir)?;
    let tmp = data_dir.join("identity.json.tmp");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(&serde_json::to_vec_pretty(identity)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path(data_dir))?;
    Ok(())
}

/// POSTs JSON and returns the status and body.
pub async fn post_json(url: &str, body: Vec<u8>) -> anyhow::Result<(u16, Bytes)> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::post(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))?;
    let response = client
        .request(request)
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

/// Redeems a one-time enrolment token at the host and stores the identity.
/// Refuses to overwrite an existing identity.
pub async fn enrol(host_url: &str, token: &str, data_dir: &Path) -> anyhow::Result<Identity> {
    if path(data_dir).exists() {
        bail!(
            "{} exists: this box is already enrolled (delete it to enrol again)",
            path(data_dir).display()
        );
    }
    let request = EnrolRequest {
        token: token.trim().to_owned(),
        version: env!("CARGO_PKG_VERSION").into(),
        hostname: std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_default(),
    };
    let url = format!("{}/api/edge/v1/enrol", host_url.trim_end_matches('/'));
    let (status, body) = post_json(&url, serde_json::to_vec(&request)?).await?;
    if status != 200 {
        bail!(
            "enrolment refused ({status}): {}",
            String::from_utf8_lossy(&body)
        );
    }
    let identity: Identity =
        serde_json::from_slice(&body).context("the host's enrolment answer is malformed")?;
    save(data_dir, &identity)?;
    Ok(identity)
}
