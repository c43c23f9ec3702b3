//! The browser bundle: its name and how it is sent. The build (`publish_bundle` in scripts/lib.sh)
//! names the bundle after its content, `pkg/sieve.<hash>.{js,wasm,css}`, writes each file's brotli
//! (`.br`) and gzip (`.gz`) forms beside it, and records the hash in `bundle.txt` at the site root.
//! The server reads the hash once at start and gives pages `sieve.<hash>` as leptos' output name,
//! so the page links the hashed files; as a new build is a new name, browsers may keep them for a
//! year (`caching.rs`). The compressed forms are sent as they are, compressed once at build time at
//! the best ratio rather than at every request.

use std::path::Path;

use tower_http::services::ServeDir;

/// The file at the site root that holds the bundle's hash.
pub const MANIFEST: &str = "bundle.txt";
/// The bundle's name without a hash (leptos' output name, `LEPTOS_OUTPUT_NAME`).
pub const STEM: &str = "sieve";
/// The URL path the bundle is served under.
pub const PKG_PATH: &str = "/pkg";
/// The bundle's file extensions.
const EXTENSIONS: [&str; 3] = ["js", "wasm", "css"];

/// Returns the name pages load the bundle by, `sieve.<hash>`, as the build recorded it under
/// `site_root`; `None` when there is no valid record (no bundle was built there).
pub fn hashed_name(site_root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(site_root.join(MANIFEST)).ok()?;
    let hash = text.trim();
    is_hash(hash).then(|| format!("{STEM}.{hash}"))
}

/// Whether `path` names a file of a hashed bundle, `/pkg/sieve.<hash>.<js|wasm|css>`: its content
/// never changes under that name.
pub fn is_hashed_file(path: &str) -> bool {
    let Some(name) = path
        .strip_prefix(PKG_PATH)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|rest| rest.strip_prefix(STEM))
        .and_then(|rest| rest.strip_prefix('.'))
    else {
        return false;
    };
    match name.split_once('.') {
        Some((hash, extension)) => is_hash(hash) && EXTENSIONS.contains(&extension),
        None => false,
    }
}

/// Serves `site_root/pkg`, sending a file's `.br` or `.gz` form when the browser accepts it.
pub fn service(site_root: &Path) -> ServeDir {
    ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip()
}

/// A hash as the build writes it: 16 lowercase hexadecimal digits.
fn is_hash(text: &str) -> bool {
    text.len() == 16
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_named_files_of_the_bundle_are_hashed() {
        assert!(is_hashed_file("/pkg/sieve.0123456789abcdef.wasm"));
        assert!(is_hashed_file("/pkg/sieve.0123456789abcdef.js"));
        assert!(is_hashed_file("/pkg/sieve.0123456789abcdef.css"));
        assert!(!is_hashed_file("/pkg/sieve.wasm"));
        assert!(!is_hashed_file("/pkg/sieve.0123456789ABCDEF.wasm"));
        assert!(!is_hashed_file("/pkg/sieve.0123456789abcde.wasm"));
        assert!(!is_hashed_file("/pkg/sieve.0123456789abcdef.wasm.br"));
        assert!(!is_hashed_file("/pkg/sieve.0123456789abcdef.html"));
        assert!(!is_hashed_file("/pkg/other.0123456789abcdef.js"));
        assert!(!is_hashed_file("/api/sieve.0123456789abcdef.js"));
    }

    #[test]
    fn the_name_is_read_from_the_manifest_and_a_bad_one_is_ignored() {
        let site = tempfile::tempdir().unwrap();
        assert_eq!(hashed_name(site.path()), None);
        std::fs::write(site.path().join(MANIFEST), "0123456789abcdef\n").unwrap();
        assert_eq!(
            hashed_name(site.path()).as_deref(),
            Some("sieve.0123456789abcdef")
        );
        std::fs::write(site.path().join(MANIFEST), "\");alert(1);//\n").unwrap();
        assert_eq!(hashed_name(site.path()), None);
    }
}
