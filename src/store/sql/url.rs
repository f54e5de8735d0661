//! Database URLs: which backend a URL names, and how to show one without its password.
//!
//! Pure string handling; it must not connect to anything.

use std::path::Path;

use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

use crate::store::StoreError;

/// The database behind a [`super::SqlStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// SQLite, the embedded default.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The backend a URL names, by its scheme (`sqlite:`, `postgres:`, `postgresql:`).
    pub(crate) fn of_url(url: &str) -> Result<Backend, StoreError> {
        let scheme = url.split_once(':').map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") => Ok(Backend::Sqlite),
            Some("postgres" | "postgresql") => Ok(Backend::Postgres),
            _ => Err(StoreError::BadUrl {
                url: mask_url(url),
                message: "expected a sqlite: or postgres:// URL".into(),
            }),
        }
    }

    /// `sqlite` or `postgres`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The URL of the SQLite database file `file`, created if missing (`mode=rwc`), with the
/// path percent-encoded as sqlx expects.
pub(crate) fn sqlite_file_url(file: &Path) -> String {
    SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(true)
        .to_url_lossy()
        .to_string()
}

/// `url` with the password replaced by `****`, both in the user-info
/// (`postgres://user:secret@host/db`) and in a `password=` query parameter.
pub(crate) fn mask_url(url: &str) -> String {
    const MASK: &str = "****";
    let mut out = String::with_capacity(url.len());
    let (head, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    out.push_str(head);
    // The authority ends at the first `/`, `?` or `#`; its user-info at the last `@` in it.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => {
            let (userinfo, host) = authority.split_at(at);
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(MASK);
                }
                None => out.push_str(userinfo),
            }
            out.push_str(host);
        }
        None => out.push_str(authority),
    }
    match tail.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let (query, fragment) = match query.split_once('#') {
                Some((q, f)) => (q, Some(f)),
                None => (query, None),
            };
            let masked: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}={MASK}"),
                    _ => pair.to_string(),
                })
                .collect();
            out.push_str(&masked.join("&"));
            if let Some(fragment) = fragment {
                out.push('#');
                out.push_str(fragment);
            }
        }
        None => out.push_str(tail),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_password_in_the_userinfo() {
        assert_eq!(
            mask_url("postgres://medic:s3cr:et@db.example:5432/medic"),
            "postgres://medic:****@db.example:5432/medic"
        );
        assert_eq!(
            mask_url("postgresql://medic:p@ss@db/medic?sslmode=require"),
            "postgresql://medic:****@db/medic?sslmode=require"
        );
    }

    #[test]
    fn masks_a_password_query_parameter() {
        assert_eq!(
            mask_url("postgres://db/medic?user=medic&password=hunter2&sslmode=disable"),
            "postgres://db/medic?user=medic&password=****&sslmode=disable"
        );
    }

    #[test]
    fn leaves_urls_without_password_alone() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/medic",
            "sqlite:///var/lib/medic/medic.db?mode=rwc",
            "sqlite:medic.db",
            "not a url",
        ] {
            assert_eq!(mask_url(url), url);
        }
    }

    #[test]
    fn backend_is_chosen_by_scheme() {
        assert_eq!(Backend::of_url("sqlite:medic.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of_url("sqlite:///tmp/medic.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of_url("postgres://h/db").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of_url("POSTGRESQL://h/db").unwrap(), Backend::Postgres);
        match Backend::of_url("mysql://root:pw@h/db") {
            Err(StoreError::BadUrl { url, message }) => {
                assert_eq!(url, "mysql://root:****@h/db");
                assert!(message.contains("sqlite"), "{message}");
            }
            other => panic!("expected BadUrl, got {other:?}"),
        }
    }

    #[test]
    fn sqlite_file_urls_encode_awkward_paths() {
        let url = sqlite_file_url(Path::new("/tmp/a dir?#/medic.db"));
        assert!(url.starts_with("sqlite://"), "{url}");
        assert!(url.contains("mode=rwc"), "{url}");
        let parsed: SqliteConnectOptions = url.parse().unwrap();
        assert_eq!(parsed.get_filename(), Path::new("/tmp/a dir?#/medic.db"));
    }
}
