//! `cargo xtask`: the one entry point for the project's chores.
//!
//! - `cargo xtask demo`  — build the plugins and run the host on SQLite with
//!   demo halls, a demo admin and the example plugins installed.
//! - `cargo xtask ci`    — every check and test tier (what `.ci/run` runs).
//! - `cargo xtask wasm`  — build the guest plugins for `wasm32-wasip2`.
//! - `cargo xtask portal` — build the portal's browser bundle (hydration)
//!   into `target/portal/pkg`.
//! - `cargo xtask firmware` — build the peripheral-controller firmware image.
//! - `cargo xtask services` — start PostgreSQL and Mosquitto when not running.
//! - `cargo xtask fuzz [seconds]` — run each fuzz target (nightly) briefly.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Guest crates built for wasm32-wasip2, with the file name cargo gives them.
const PLUGINS: &[(&str, &str)] = &[
    ("bantong-fixture", "bantong_fixture"),
    ("bantong-compat-010", "bantong_compat_010"),
    ("vendor-visitor-log", "vendor_visitor_log"),
    ("bantong-camera-watch", "bantong_camera_watch"),
    ("bantong-queue", "bantong_queue"),
    ("bantong-rating", "bantong_rating"),
    ("bantong-kiosk", "bantong_kiosk"),
    ("bantong-hotline", "bantong_hotline"),
    ("bantong-supervision", "bantong_supervision"),
    ("bantong-reporting", "bantong_reporting"),
    ("bantong-training", "bantong_training"),
];
const WASM_TARGET: &str = "wasm32-wasip2";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    match task {
        "wasm" => build_wasm().map(|_| ()),
        "portal" => build_portal().map(|dir| eprintln!("{}", dir.display())),
        "firmware" => build_firmware().map(|path| eprintln!("{}", path.display())),
        "demo" => demo(rest),
        "ci" => ci(),
        "services" => services(),
        "fuzz" => match rest.first().and_then(|s| s.parse().ok()).unwrap_or(30) {
            0 => fuzz(0, true),
            secs => fuzz(secs, false),
        },
        "fuzz-replay" => fuzz(0, true),
        _ => {
            eprintln!(
                "usage: cargo xtask <demo|ci|wasm|portal|firmware|services|fuzz [secs]|fuzz-replay>"
            );
            Ok(())
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs a command to success, saying how long it took (so a CI log shows
/// where its time goes).
fn run(mut cmd: Command) -> Result<()> {
    eprintln!("+ {cmd:?}");
    let started = Instant::now();
    let status = cmd
        .status()
        .with_context(|| format!("could not start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    let program = cmd.get_program().to_string_lossy();
    let args: Vec<_> = cmd
        .get_args()
        .take(4)
        .map(|a| a.to_string_lossy())
        .collect();
    eprintln!(
        "xtask: {program} {} took {:.0} s",
        args.join(" "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn ensure_target(toolchain: Option<&str>, target: &str) -> Result<()> {
    let mut list = Command::new("rustup");
    if let Some(t) = toolchain {
        list.arg(format!("+{t}"));
    }
    let out = list
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is required")?;
    if !String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == target)
    {
        let mut add = Command::new("rustup");
        if let Some(t) = toolchain {
            add.arg(format!("+{t}"));
        }
        add.args(["target", "add", target]);
        run(add)?;
    }
    Ok(())
}

/// Builds every guest plugin once and returns the directory holding the
/// `.wasm` files (`target/wasm32-wasip2/plugin`).
const FIRMWARE_TARGET: &str = "thumbv7m-none-eabi";

/// Builds the peripheral-controller firmware image (its own workspace under
/// `firmware/lm3s6965`, target thumbv7m-none-eabi); returns its path.
fn build_firmware() -> Result<PathBuf> {
    ensure_target(None, FIRMWARE_TARGET)?;
    let dir = root().join("firmware/lm3s6965");
    firmware_cargo(&["build", "--release", "--locked"])?;
    Ok(dir.join(format!("target/{FIRMWARE_TARGET}/release/bantong-firmware")))
}

/// Runs cargo in the firmware's own workspace.
fn firmware_cargo(args: &[&str]) -> Result<()> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root().join("firmware/lm3s6965")).args(args);
    run(cmd)
}

/// The firmware workspace's own format and lint checks (it is not a member
/// of the main workspace, so `cargo fmt --all` and clippy miss it).
fn check_firmware() -> Result<()> {
    firmware_cargo(&["fmt", "--", "--check"])?;
    firmware_cargo(&["clippy", "--release", "--locked", "--", "-D", "warnings"])
}

fn build_wasm() -> Result<PathBuf> {
    ensure_target(None, WASM_TARGET)?;
    let mut cmd = cargo();
    cmd.args(["build", "--target", WASM_TARGET, "--profile", "plugin"]);
    for (krate, _) in PLUGINS {
        cmd.args(["-p", krate]);
    }
    run(cmd)?;
    let dir = target_dir().join(WASM_TARGET).join("plugin");
    for (_, file) in PLUGINS {
        let path = dir.join(format!("{file}.wasm"));
        if !path.exists() {
            bail!("expected {} after the build", path.display());
        }
    }
    Ok(dir)
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

const PORTAL_TARGET: &str = "wasm32-unknown-unknown";
/// The wasm-bindgen output name the portal's hydration script loads.
const PORTAL_NAME: &str = "bantong_portal";

/// Builds the portal for the browser (`--features hydrate`, profile
/// `portal`), generates its JavaScript glue with wasm-bindgen (a library
/// here, so its version is the `wasm-bindgen` crate's, pinned in both
/// manifests) and writes gzip copies beside each file for the host to
/// serve precompressed. Returns `target/portal/pkg`.
fn build_portal() -> Result<PathBuf> {
    ensure_target(None, PORTAL_TARGET)?;
    let mut cmd = cargo();
    cmd.args([
        "build",
        "-p",
        "bantong-portal",
        "--lib",
        "--target",
        PORTAL_TARGET,
        "--profile",
        "portal",
        "--features",
        "hydrate",
    ]);
    run(cmd)?;
    let wasm = target_dir()
        .join(PORTAL_TARGET)
        .join("portal")
        .join(format!("{PORTAL_NAME}.wasm"));
    let out = target_dir().join("portal").join("pkg");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        .typescript(false)
        .out_name(PORTAL_NAME)
        .generate(&out)
        .with_context(|| format!("wasm-bindgen on {}", wasm.display()))?;
    for file in [
        format!("{PORTAL_NAME}.js"),
        format!("{PORTAL_NAME}_bg.wasm"),
    ] {
        let path = out.join(&file);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &bytes)?;
        let packed = gz.finish()?;
        std::fs::write(out.join(format!("{file}.gz")), &packed)?;
        eprintln!("{file}: {} bytes, {} gzipped", bytes.len(), packed.len());
    }
    Ok(out)
}

fn demo(rest: &[String]) -> Result<()> {
    let wasm_dir = build_wasm()?;
    build_portal()?;
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--release",
        "-p",
        "bantong-host",
        "--bin",
        "bantong",
        "--",
        "demo",
    ]);
    cmd.arg("--plugins").arg(root().join("plugins"));
    cmd.arg("--examples").arg(root().join("examples"));
    cmd.arg("--wasm-dir").arg(&wasm_dir);
    cmd.args(rest);
    run(cmd)
}

fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(300),
    )
    .is_ok()
}

fn wait_port(port: u16, secs: u64) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if port_open(port) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// Starts PostgreSQL and Mosquitto when they are not running (the commands
/// of this machine kind); fails clearly when they cannot be started.
/// Whether `program` is on the PATH.
fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

fn services() -> Result<()> {
    // The edge fabric tests start Mosquitto brokers of their own and set up
    // their credentials with mosquitto_ctrl.
    // The firmware test runs the controller image in QEMU.
    let mut missing = Vec::new();
    if !have("mosquitto") || !have("mosquitto_ctrl") {
        missing.extend(["mosquitto", "mosquitto-clients"]);
    }
    if !have("qemu-system-arm") {
        missing.push("qemu-system-arm");
    }
    // The telephony adapter's integration test drives it with a real SIP
    // peer, sipp.
    if !have("sipp") {
        missing.push("sip-tester");
    }
    // The portal's browser tests drive Debian's Chromium through its
    // WebDriver.
    if !have("chromium") || !have("chromedriver") {
        missing.extend(["chromium", "chromium-driver"]);
    }
    // A Chinese font, or the portal's screenshots show boxes for 汉字.
    if !Path::new("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists() {
        missing.push("fonts-wqy-microhei");
    }
    // Rendered documents: the Noto CJK fonts the PDFs embed, and poppler's
    // pdftotext and pdftoppm, with which the tests read the PDFs back.
    if !Path::new("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc").exists() {
        missing.push("fonts-noto-cjk");
    }
    if !have("pdftoppm") || !have("pdftotext") {
        missing.push("poppler-utils");
    }
    if !missing.is_empty() {
        eprintln!("installing Debian's {}", missing.join(", "));
        let _ = Command::new("apt-get").args(["update", "-q"]).status();
        let status = Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("running apt-get")?;
        if !status.success() {
            bail!("could not install {}", missing.join(", "));
        }
    }
    // The document tests open DOCX and XLSX files with independent readers:
    // the Python packages python-docx and openpyxl.
    let readers = Command::new("python3")
        .args(["-c", "import docx, openpyxl"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !readers {
        eprintln!("installing the Python packages python-docx and openpyxl");
        let status = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "python-docx", "openpyxl"])
            .status()
            .context("running pip")?;
        if !status.success() {
            bail!("could not install python-docx and openpyxl");
        }
    }
    if !port_open(5432) {
        eprintln!("PostgreSQL is not running; starting it");
        let versions =
            std::fs::read_dir("/etc/postgresql").context("PostgreSQL is not installed")?;
        for v in versions.flatten() {
            let _ = Command::new("pg_ctlcluster")
                .args(["--skip-systemctl-redirect"])
                .arg(v.file_name())
                .args(["main", "start"])
                .status();
        }
        if !wait_port(5432, 30) {
            bail!("PostgreSQL did not come up on 127.0.0.1:5432");
        }
    }
    if !port_open(1883) {
        eprintln!("Mosquitto is not running; starting it");
        let _ = Command::new("mosquitto")
            .args(["-d", "-c", "/etc/mosquitto/mosquitto.conf"])
            .status();
        if !wait_port(1883, 15) {
            bail!("Mosquitto did not come up on 127.0.0.1:1883");
        }
    }
    Ok(())
}

fn ci() -> Result<()> {
    let started = Instant::now();
    services()?;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    run(fmt)?;
    let wasm_dir = build_wasm()?;
    let portal_dir = build_portal()?;
    let firmware = build_firmware()?;
    check_firmware()?;
    // CI builds once from clean: incremental caches would only cost disk.
    let mut clippy = cargo();
    clippy.env("CARGO_INCREMENTAL", "0");
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    run(clippy)?;
    // The guests' wasm glue (`cfg(target_arch = "wasm32")`) too.
    let mut guests = cargo();
    guests.env("CARGO_INCREMENTAL", "0");
    guests.args(["clippy", "--target", WASM_TARGET]);
    for (package, _) in PLUGINS {
        guests.args(["-p", package]);
    }
    guests.args(["--", "-D", "warnings"]);
    run(guests)?;
    // The portal's browser half (`cfg(feature = "hydrate")`).
    let mut browser = cargo();
    browser.env("CARGO_INCREMENTAL", "0");
    browser.args([
        "clippy",
        "-p",
        "bantong-portal",
        "--target",
        PORTAL_TARGET,
        "--features",
        "hydrate",
        "--",
        "-D",
        "warnings",
    ]);
    run(browser)?;
    let mut test = cargo();
    test.env("CARGO_INCREMENTAL", "0");
    test.args(["test", "--workspace", "--all-targets"]);
    test.env("BANTONG_WASM_DIR", &wasm_dir);
    test.env("BANTONG_PORTAL_PKG_DIR", &portal_dir);
    test.env("BANTONG_TEST_FIRMWARE_IMAGE", &firmware);
    run(test)?;
    report_disk_use(&root().join("target"));
    // `--all-targets` also runs the bench binaries once in their quick mode.
    fuzz(0, true)?;
    eprintln!(
        "xtask ci: all tiers passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs each fuzz target: for `secs` seconds, or only over its corpus when
/// `replay` is set. Installs cargo-fuzz when it is missing.
fn fuzz(secs: u64, replay: bool) -> Result<()> {
    let fuzz_dir = root().join("fuzz");
    let targets_dir = fuzz_dir.join("fuzz_targets");
    if !targets_dir.exists() {
        return Ok(());
    }
    let has_fuzz = Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !has_fuzz {
        let mut install = Command::new("cargo");
        install.args(["+nightly", "install", "cargo-fuzz", "--locked"]);
        run(install)?;
    }
    let mut names: Vec<String> = std::fs::read_dir(&targets_dir)?
        .flatten()
        .filter_map(|e| {
            e.path()
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    for name in names {
        let corpus = fuzz_dir.join("corpus").join(&name);
        std::fs::create_dir_all(&corpus)?;
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&fuzz_dir)
            .args(["+nightly", "fuzz", "run", &name])
            .arg(&corpus)
            .arg("--");
        if replay {
            cmd.arg("-runs=0");
        } else {
            cmd.arg(format!("-max_total_time={secs}"));
        }
        run(cmd)?;
    }
    Ok(())
}

/// Prints how much disk the build directory takes, so CI logs show the
/// trend (a clean CI run once ran out of disk).
fn report_disk_use(dir: &Path) {
    if let Ok(out) = Command::new("du").arg("-sh").arg(dir).output() {
        eprint!(
            "xtask ci: build directory {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
