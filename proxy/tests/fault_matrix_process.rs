//! The process rows of issue 9's fault matrix (the other rows and the list of all are in
//! tests/tests/fault_matrix.rs): the built harvest-proxy killed and started again mid-walk,
//! reloaded by SIGHUP mid-walk, drained by SIGTERM under a page in flight. Each asserts what
//! the client gets and that a walk by `Link` across the event returns every record exactly
//! once, compared with the sandbox's own data; timeouts only keep a test from hanging.
mod process;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;
use process::*;

/// The legacy key of the walking client (in every config of these tests).
const WALKER: &str = "legacy-key-walker";

type Conn = SendRequest<Full<Bytes>>;

/// A client walking a list by `Link: rel="next"`.
struct Walk {
    resource: &'static str,
    next: Option<String>,
    ids: Vec<i64>,
    pages: usize,
}

impl Walk {
    fn new(resource: &'static str, first: &str) -> Walk {
        Walk {
            resource,
            next: Some(first.to_string()),
            ids: Vec::new(),
            pages: 0,
        }
    }

    /// The next page on `conn`; a 200 is taken (ids, next Link). Gives the answer, or the
    /// connection's failure.
    async fn try_page(
        &mut self,
        conn: &mut Conn,
        headers: &[(&str, &str)],
    ) -> Result<Answer, hyper::Error> {
        let path = self.next.clone().expect("the walk goes on");
        let a = get_with(conn, &path, WALKER, headers).await?;
        if a.status == 200 {
            self.take(&a);
        }
        Ok(a)
    }

    async fn page(&mut self, conn: &mut Conn, headers: &[(&str, &str)]) -> Answer {
        self.try_page(conn, headers)
            .await
            .expect("the connection works")
    }

    fn take(&mut self, a: &Answer) {
        let rows: serde_json::Value = serde_json::from_str(&a.body).expect("JSON");
        let rows = rows
            .as_array()
            .unwrap_or_else(|| panic!("a list: {}", a.body));
        self.ids
            .extend(rows.iter().map(|r| r["id"].as_i64().expect("an id")));
        self.pages += 1;
        self.next = a.next();
        assert!(self.pages < 1000, "a walk that never ends");
    }

    /// `n` pages, each answered 200.
    async fn pages(&mut self, conn: &mut Conn, n: usize) {
        for _ in 0..n {
            let a = self.page(conn, &[]).await;
            assert_eq!(a.status, 200, "{}: {}", self.resource, a.body);
        }
    }

    async fn finish(&mut self, conn: &mut Conn) {
        while self.next.is_some() {
            self.pages(conn, 1).await;
        }
    }

    /// Every record of the sandbox's resource once, in several pages.
    fn exactly_once(&self, sb: &harvest_sandbox::Sandbox) {
        let want: BTreeSet<i64> = sb
            .records(self.resource)
            .iter()
            .filter_map(|r| r["id"].as_i64())
            .filter(|id| *id != harvest_sandbox::SERVICE_ACCOUNT_USER_ID)
            .collect();
        let got: BTreeSet<i64> = self.ids.iter().copied().collect();
        assert_eq!(got.len(), self.ids.len(), "{}: twice", self.resource);
        assert_eq!(got, want, "{}: missing or extra", self.resource);
        assert!(self.pages >= 4, "{}: {} pages", self.resource, self.pages);
    }
}

fn walks() -> [Walk; 2] {
    [
        Walk::new("candidates", "/v1/candidates?per_page=7"),
        Walk::new("users", "/v1/users?per_page=3"),
    ]
}

async fn sandbox() -> harvest_sandbox::Sandbox {
    harvest_sandbox::spawn(harvest_sandbox::SandboxConfig {
        scale: 0.05,
        ..Default::default()
    })
    .await
    .unwrap()
}

/// Starts the proxy on a free port, then pins the config to that port (a restart listens
/// where the clients' `Link`s point).
async fn start_pinned(cfg: &Path, sb: &harvest_sandbox::Sandbox, keys: &[&str]) -> Proxy {
    let top = "allow_insecure_upstream = true";
    std::fs::write(cfg, config_text(sb, keys, top)).unwrap();
    let proxy = start(cfg).await;
    let pinned = config_text(sb, keys, top).replace(
        "listen = \"127.0.0.1:0\"",
        &format!("listen = \"{}\"", proxy.addr),
    );
    std::fs::write(cfg, pinned).unwrap();
    proxy
}

/// Waits (at most 10 s) until nothing accepts connections on `addr`.
async fn refused(addr: SocketAddr) -> bool {
    for _ in 0..1000 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// Waits (at most 10 s) until the sandbox got more `GET path` calls than `before`.
async fn called(sb: &harvest_sandbox::Sandbox, path: &str, before: u64) {
    for _ in 0..1000 {
        if sb.stats().count("GET", path) > before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{path} was never called");
}

/// The proxy is killed (SIGKILL) under a page in flight and started again on the same port
/// and config: the page in flight fails with its connection (never a partial 200), and while
/// the proxy is down connections are refused (an error at once, never a hang). After, each
/// client's next `Link` works — its cursor went with the process, so the page is re-walked
/// from the start, within the walk budget — and both walks complete exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_proxy_restarted_mid_walk() {
    let sb = sandbox().await;
    let d = temp_dir("restart");
    let cfg = d.join("proxy.toml");
    let mut proxy = start_pinned(&cfg, &sb, &[WALKER]).await;
    let addr = proxy.addr;
    let [mut cands, mut users] = walks();
    let mut conn = connect(addr).await;
    cands.pages(&mut conn, 2).await;
    users.pages(&mut conn, 2).await;
    // The next candidates page is in flight (slow v3, fresh data) when the proxy dies.
    sb.faults()
        .set_spec("/v3/candidates=always:delay:3000")
        .unwrap();
    let before = sb.stats().count("GET", "/v3/candidates");
    let in_flight = tokio::spawn(async move {
        let r = cands
            .try_page(&mut conn, &[("Cache-Control", "no-cache")])
            .await;
        (cands, r.map(|a| (a.status, a.body)))
    });
    called(&sb, "/v3/candidates", before).await;
    proxy.signal("-KILL");
    let (mut cands, r) = in_flight.await.unwrap();
    assert!(
        r.is_err(),
        "the page in flight fails with the connection: {r:?}"
    );
    assert_eq!(cands.pages, 2, "nothing taken from it");
    assert_eq!(proxy.exit_code().await, None, "killed by a signal");
    assert!(refused(addr).await, "nothing listens while it is down");
    sb.faults().clear();

    let proxy = start(&cfg).await;
    assert_eq!(proxy.addr, addr, "the same port");
    let mut conn = connect(addr).await;
    for w in [&mut cands, &mut users] {
        let a = w.page(&mut conn, &[]).await;
        assert_eq!(
            a.status, 200,
            "{}: the next Link works: {}",
            w.resource, a.body
        );
        w.finish(&mut conn).await;
        w.exactly_once(&sb);
    }
    drop(proxy);
    let _ = std::fs::remove_dir_all(&d);
}

/// SIGHUP mid-walk reloads keys without dropping a connection: the new key works, the removed
/// one is refused, the walking client's connection opened before the reload goes on and its
/// walk completes exactly once; the tenant keeps its token. A bad new file is logged and the
/// running config stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_sighup_reload() {
    let sb = sandbox().await;
    let d = temp_dir("hup");
    let cfg = d.join("proxy.toml");
    let top = "allow_insecure_upstream = true";
    std::fs::write(&cfg, config_text(&sb, &[WALKER, KEY_A], top)).unwrap();
    let mut proxy = start(&cfg).await;
    let mut kept = connect(proxy.addr).await;
    assert_eq!(get(&mut kept, "/v1/sources", KEY_A).await.0, 200);
    let mut walks = walks();
    for w in &mut walks {
        w.pages(&mut kept, 2).await;
    }

    std::fs::write(&cfg, config_text(&sb, &[WALKER, KEY_B], top)).unwrap();
    proxy.signal("-HUP");
    let mut status = 0;
    for _ in 0..200 {
        status = get_new(proxy.addr, "/v1/sources", KEY_B).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 200, "the new key works after SIGHUP");
    assert_eq!(get_new(proxy.addr, "/v1/sources", KEY_A).await, 401);
    let (status, _, _) = get(&mut kept, "/v1/sources", KEY_B).await;
    assert_eq!(
        status, 200,
        "the connection opened before the reload serves"
    );
    let line = proxy.log_line("SIGHUP: reloaded").await;
    assert!(line.contains("1 tenants (1 unchanged), 2 keys"), "{line}");
    for w in &mut walks {
        w.pages(&mut kept, 1).await;
    }

    // A bad file: logged, the running keys stay.
    std::fs::write(&cfg, "[[keys]]\nsha256 = \"not-hex\"\ntenant = \"sb\"\n").unwrap();
    proxy.signal("-HUP");
    let line = proxy.log_line("not reloaded").await;
    assert!(line.contains("no such tenant"), "{line}");
    assert_eq!(get(&mut kept, "/v1/sources", KEY_B).await.0, 200);
    for w in &mut walks {
        w.finish(&mut kept).await;
        w.exactly_once(&sb);
    }
    assert_eq!(
        sb.stats().token_calls,
        1,
        "an unchanged tenant keeps its token across the reloads"
    );
    assert!(
        proxy.child.try_wait().unwrap().is_none(),
        "SIGHUP never ends the process"
    );
    proxy.signal("-TERM");
    assert_eq!(proxy.exit_code().await, Some(0));
    let _ = std::fs::remove_dir_all(&d);
}

/// SIGTERM under a page in flight: new connections are refused at once, the page in flight is
/// answered in full (with its `Link`), the process exits 0. Started again (a deploy), the
/// client's next `Link` works and the walk completes exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_sigterm_drain() {
    let sb = sandbox().await;
    let d = temp_dir("term");
    let cfg = d.join("proxy.toml");
    let mut proxy = start_pinned(&cfg, &sb, &[WALKER]).await;
    let addr = proxy.addr;
    let [mut w, mut users] = walks();
    let mut conn = connect(addr).await;
    w.pages(&mut conn, 2).await;
    users.pages(&mut conn, 2).await;
    // The next page's v3 calls are slow (fresh data: the page cannot come from the cache).
    sb.faults()
        .set_spec("/v3/candidates=always:delay:3000")
        .unwrap();
    let before = sb.stats().count("GET", "/v3/candidates");
    let slow = tokio::spawn(async move {
        let a = w.page(&mut conn, &[("Cache-Control", "no-cache")]).await;
        (w, a)
    });
    called(&sb, "/v3/candidates", before).await;
    proxy.signal("-TERM");
    assert!(
        refused(addr).await,
        "new connections are refused after SIGTERM"
    );
    assert!(
        !slow.is_finished(),
        "refused while the page in flight is still being served"
    );
    let (mut w, a) = slow.await.unwrap();
    assert_eq!(a.status, 200, "the page in flight is drained: {}", a.body);
    assert!(w.next.is_some(), "with its Link");
    assert_eq!(proxy.exit_code().await, Some(0));
    proxy.log_line("stopped accepting").await;
    sb.faults().clear();

    let proxy = start(&cfg).await;
    let mut conn = connect(proxy.addr).await;
    for w in [&mut w, &mut users] {
        w.finish(&mut conn).await;
        w.exactly_once(&sb);
    }
    drop(proxy);
    let _ = std::fs::remove_dir_all(&d);
}
