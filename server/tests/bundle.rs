//! The browser bundle as a browser receives it from a running `sieve serve`: pages link the files
//! named after their content, those are sent precompressed (brotli or gzip, as asked) and kept for a
//! year, and the pages themselves, which carry data, are still never stored.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HASH: &str = "0123456789abcdef";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A `sieve serve --demo` on a free port, with a site root holding a hashed bundle; killed on drop.
struct Server {
    child: Child,
    addr: String,
    dir: tempfile::TempDir,
}

impl Server {
    #[track_caller]
    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        write_bundle(&dir.path().join("site"));
        let addr = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().to_string()
        };
        let child = Command::new(env!("CARGO_BIN_EXE_sieve"))
            .args(["serve", "--demo", "--addr", &addr])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--site-root")
            .arg(dir.path().join("site"))
            .env_remove("SIEVE_CONFIG")
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server { child, addr, dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.try_get("/healthz").is_none_or(|r| r.status != 200) {
            assert!(
                Instant::now() < deadline,
                "the server did not become healthy"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// Sends a request (HTTP/1.0, so the body ends with the connection) and reads the response.
    fn try_send(&self, head: &str, body: &str) -> Option<Response> {
        let mut stream = TcpStream::connect(&self.addr).ok()?;
        let request = format!(
            "{head}\r\nHost: {}\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).ok()?;
        Some(Response::parse(&bytes))
    }

    fn try_get(&self, path: &str) -> Option<Response> {
        self.try_send(&format!("GET {path} HTTP/1.0"), "")
    }

    #[track_caller]
    fn get(&self, path: &str, headers: &str) -> Response {
        let head = match headers.is_empty() {
            true => format!("GET {path} HTTP/1.0"),
            false => format!("GET {path} HTTP/1.0\r\n{headers}"),
        };
        self.try_send(&head, "").expect("the server answers")
    }

    /// Signs in as the demo fellow and returns the session cookie's `name=value`.
    #[track_caller]
    fn sign_in(&self) -> String {
        let credentials =
            std::fs::read_to_string(self.dir.path().join("data/demo-credentials.txt")).unwrap();
        let password = credentials
            .lines()
            .find_map(|line| line.strip_prefix("fellow "))
            .unwrap();
        let form = format!("name=fellow&password={password}");
        let head = format!(
            "POST /api/sign_in HTTP/1.0\r\nOrigin: http://{}\r\n\
             Content-Type: application/x-www-form-urlencoded",
            self.addr
        );
        let response = self.try_send(&head, &form).unwrap();
        let cookie = response.header("set-cookie").expect("signed in");
        cookie.split(';').next().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    #[track_caller]
    fn parse(bytes: &[u8]) -> Response {
        let split = bytes
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .expect("a complete response head");
        let head = String::from_utf8_lossy(&bytes[..split]);
        let mut lines = head.lines();
        let status = lines.next().unwrap().split(' ').nth(1).unwrap();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_string()))
            .collect();
        Response {
            status: status.parse().unwrap(),
            headers,
            body: bytes[split + 4..].to_vec(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Writes a bundle as `publish_bundle` (scripts/lib.sh) does: hashed files, their `.br` and `.gz`
/// forms (each with its own content, to tell which was sent) and the hash in `bundle.txt`.
fn write_bundle(site: &Path) {
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for extension in ["js", "wasm", "css"] {
        let name = format!("sieve.{HASH}.{extension}");
        std::fs::write(pkg.join(&name), format!("plain {extension}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), format!("br {extension}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gz {extension}")).unwrap();
    }
    std::fs::write(pkg.join("sieve.wasm"), "an unhashed leftover").unwrap();
    std::fs::write(site.join("bundle.txt"), format!("{HASH}\n")).unwrap();
}

#[track_caller]
fn assert_no_store(response: &Response, what: &str) {
    assert_eq!(response.header("cache-control"), Some("no-store"), "{what}");
    assert!(response.header("last-modified").is_none(), "{what}");
}

#[test]
fn pages_link_the_hashed_bundle_which_is_sent_compressed_and_kept_while_pages_are_not_stored() {
    let server = Server::start();

    let sign_in = server.get("/login", "");
    assert_eq!(sign_in.status, 200);
    assert_no_store(&sign_in, "the sign-in page");
    let page = sign_in.text();
    for file in ["js", "wasm", "css"].map(|extension| format!("/pkg/sieve.{HASH}.{extension}")) {
        assert!(page.contains(&format!("\"{file}\"")), "{file} in {page}");
    }
    assert!(!page.contains("/pkg/sieve.wasm"), "{page}");

    let cookie = server.sign_in();
    let project = server.get("/projects/1", &format!("Cookie: {cookie}"));
    assert_eq!(project.status, 200, "{}", project.text());
    assert_no_store(&project, "a project page");
    assert!(project.text().contains(&format!("/pkg/sieve.{HASH}.wasm")));

    for extension in ["js", "wasm", "css"] {
        let path = format!("/pkg/sieve.{HASH}.{extension}");
        for (accepted, encoding, body) in [
            ("br, gzip", Some("br"), format!("br {extension}")),
            ("gzip", Some("gzip"), format!("gz {extension}")),
            ("identity", None, format!("plain {extension}")),
        ] {
            let response = server.get(&path, &format!("Accept-Encoding: {accepted}"));
            assert_eq!(response.status, 200, "{path}");
            assert_eq!(response.header("content-encoding"), encoding, "{path}");
            assert_eq!(response.text(), body, "{path} for {accepted}");
            assert_eq!(response.header("cache-control"), Some(IMMUTABLE), "{path}");
            assert_eq!(response.header("vary"), Some("accept-encoding"), "{path}");
        }
    }
    let wasm = server.get(&format!("/pkg/sieve.{HASH}.wasm"), "");
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));

    let leftover = server.get("/pkg/sieve.wasm", "");
    assert_eq!(leftover.status, 200);
    assert_eq!(leftover.header("cache-control"), Some("public, no-cache"));
    assert_eq!(
        server.get("/pkg/sieve.ffffffffffffffff.wasm", "").status,
        404
    );
}
