//! The peripheral-controller firmware image in QEMU (`lm3s6965evb`): its
//! link UART on a Unix socket or a pseudo-terminal, its local keypad and
//! display line on a Unix socket.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The firmware image, when it and `qemu-system-arm` are there. Under CI
/// (`CI` set) their absence fails the test instead.
pub fn firmware_image() -> Option<PathBuf> {
    let path = std::env::var_os("BANTONG_TEST_FIRMWARE_IMAGE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            crate::app::repo_root()
                .join("firmware/lm3s6965/target/thumbv7m-none-eabi/release/bantong-firmware")
        });
    let qemu = Command::new("qemu-system-arm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if path.exists() && qemu {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the firmware tests: image {} present: {}, qemu-system-arm: {qemu}",
        path.display(),
        path.exists()
    );
    eprintln!("skipped: run `cargo xtask firmware` and install qemu-system-arm");
    None
}

/// Where the link UART goes.
#[derive(Debug, Clone)]
pub enum LinkPort {
    /// A Unix socket QEMU listens on.
    Socket(PathBuf),
    /// A pseudo-terminal; its path is in [`Qemu::pty`].
    Pty,
}

/// A running QEMU, killed on drop.
pub struct Qemu {
    child: Child,
    /// The link's pseudo-terminal, with [`LinkPort::Pty`].
    pub pty: Option<PathBuf>,
}

impl Qemu {
    pub fn start(image: &Path, link: &LinkPort, local: &Path) -> Qemu {
        let link_arg = match link {
            LinkPort::Socket(p) => format!("unix:{},server=on,wait=off", p.display()),
            LinkPort::Pty => "pty".into(),
        };
        let mut child = Command::new("qemu-system-arm")
            .args(["-cpu", "cortex-m3", "-machine", "lm3s6965evb"])
            .args(["-nographic", "-monitor", "none"])
            .arg("-kernel")
            .arg(image)
            .args(["-serial", &link_arg])
            .arg("-serial")
            .arg(format!("unix:{},server=on,wait=off", local.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("qemu-system-arm starts");
        let mut pty = None;
        // QEMU names a pseudo-terminal on its standard output.
        if let Some(stdout) = child.stdout.take() {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Some(rest) = line.strip_prefix("char device redirected to ") {
                        let path = rest.split_whitespace().next().unwrap_or_default();
                        let _ = tx.send(PathBuf::from(path));
                    }
                }
            });
            if matches!(link, LinkPort::Pty) {
                pty = Some(
                    rx.recv_timeout(Duration::from_secs(10))
                        .expect("QEMU names its pseudo-terminal"),
                );
            }
        }
        Qemu { child, pty }
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connects to a socket QEMU listens on (retrying while it starts).
pub fn connect(path: &Path) -> UnixStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match UnixStream::connect(path) {
            Ok(s) => {
                s.set_read_timeout(Some(Duration::from_millis(100)))
                    .expect("socket timeout");
                return s;
            }
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "QEMU socket {}: {e}",
                    path.display()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// Reads `local` until it has shown `text` (or panics after 15 s).
pub fn expect_text(local: &mut UnixStream, text: &str) {
    use std::io::Read;
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while Instant::now() < deadline {
        if let Ok(n) = local.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&got).contains(text) {
                return;
            }
        }
    }
    panic!(
        "{text:?} not shown; got {:?}",
        String::from_utf8_lossy(&got)
    );
}

/// Points `stable` (the port name an agent is configured with) at QEMU's
/// pseudo-terminal, as a udev rule names a USB serial adapter.
pub fn link_port(stable: &Path, qemu: &Qemu) {
    let _ = std::fs::remove_file(stable);
    std::os::unix::fs::symlink(qemu.pty.as_ref().expect("a pty link"), stable)
        .expect("symlink to the pty");
}

/// Starts an enrolled agent process (`agent` in `hall`) whose controller
/// `hub-1` is on `port`.
pub async fn agent_with_controller(
    binary: &str,
    admin: &crate::app::Client,
    host_url: &str,
    data_dir: PathBuf,
    hall: &str,
    agent: &str,
    port: &Path,
) -> crate::edge::AgentProcess {
    let token = crate::edge::issue_token(admin, hall, agent).await;
    let mut process = crate::edge::AgentProcess::new(binary, data_dir, host_url);
    process.enrol(&token);
    process.env(
        "BANTONG_EDGE_CONTROLLERS",
        &format!(r#"[{{id = "hub-1", port = "{}"}}]"#, port.display()),
    );
    // The controller's keypad and display, as devices plugins can drive.
    process.env(
        "BANTONG_EDGE_DEVICES",
        r#"[{id = "keypad-1", class = "rating-keypad", controller = "hub-1", unit = 0},
            {id = "display-1", class = "queue-display", controller = "hub-1", unit = 0}]"#,
    );
    process.run(0, 0);
    process
}
