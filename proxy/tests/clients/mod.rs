//! Helpers shared by the tests that drive the real legacy clients (tests/clients/): where they
//! are installed, installing them once, a proxy child process, running a client.
#![allow(dead_code)]
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn clients_dir() -> PathBuf {
    std::env::var_os("HARVEST_CLIENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/clients"))
}

/// Runs tests/clients/setup.sh once per test binary (the tests of this file run in parallel).
/// The script itself is idempotent and takes a lock, so other binaries or `.ci/run` running it
/// at the same time are fine too.
pub fn setup() {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        Command::new("bash")
            .arg(root().join("tests/clients/setup.sh"))
            .env("HARVEST_CLIENTS_DIR", clients_dir())
            .status()
            .expect("run tests/clients/setup.sh")
            .success()
    });
    assert!(
        ok,
        "installing the real clients failed (needs python3-venv, npm, flock and registry access)"
    );
}

pub struct Proxy {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn healthy(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200")
}

pub fn run(cmd: &mut Command) -> Value {
    let out = cmd.output().expect("run client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "client failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        stdout
    );
    let last = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON output: {stdout}"));
    serde_json::from_str(last).unwrap()
}

pub fn python() -> PathBuf {
    clients_dir().join("venv/bin/python")
}

/// `harvest-proxy --sandbox` on a free port with `key` and the sandbox at `scale`, once healthy.
pub fn start_sandbox_proxy(key: &str, scale: f64) -> Proxy {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_harvest-proxy"))
        .args(["--sandbox", "--listen", &addr.to_string()])
        .args(["--sandbox-key", key, "--sandbox-scale", &scale.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start harvest-proxy --sandbox");
    let proxy = Proxy { child, addr };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !healthy(addr) {
        assert!(
            Instant::now() < deadline,
            "harvest-proxy --sandbox did not become healthy"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    proxy
}
