//! Key names that hold a secret, in any case style: `password`, `dbPassword`,
//! `DB_PASSWORD`, `private-key`, `fs.s3a.secret.key`, `%70assword` (percent-encoded).
//!
//! A key is split into words at `_`, `-`, `.`, spaces and camelCase boundaries, and
//! names a secret when its last word (or last two) is a secret noun. A last word that
//! says where the secret is kept instead (`password_env`, `token_file`,
//! `private_key_path`, `client_secret_id`…) makes it a reference, not a secret.

/// Last words that make a key a secret.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "clientsecret",
];

/// Last two words that make a key a secret (`api_key`, `fs.s3a.secret.key`).
const SECRET_PAIRS: &[[&str; 2]] = &[
    ["api", "key"],
    ["access", "key"],
    ["secret", "key"],
    ["private", "key"],
    ["signing", "key"],
    ["encryption", "key"],
    ["master", "key"],
    ["account", "key"],
];

/// Last words of a key that references a secret kept elsewhere.
const REFERENCE_WORDS: &[&str] = &["env", "id", "file", "path", "name", "ref", "var", "variable", "conn"];

/// Whether a mapping key (or a `key=` in text) names a secret.
pub(super) fn is_secret_key(key: &str) -> bool {
    let key = percent_decoded(key);
    let words = words(&key);
    let Some(last) = words.last() else {
        return false;
    };
    if REFERENCE_WORDS.contains(&last.as_str()) {
        return false;
    }
    if SECRET_WORDS.contains(&last.as_str()) {
        return true;
    }
    words.len() >= 2 && {
        let pair = [words[words.len() - 2].as_str(), last.as_str()];
        SECRET_PAIRS.contains(&pair)
    }
}

/// Whether a key may name a secret at all: a cheap filter before [`is_secret_key`]
/// for the many words of a text.
pub(super) fn may_be_secret_key(token: &str) -> bool {
    let lower = token.to_ascii_lowercase();
    ["pass", "pwd", "secret", "token", "credential", "key", "%"]
        .iter()
        .any(|needle| lower.contains(needle))
}

/// `%70assword` → `password`; a `%` not followed by two hex digits stays.
fn percent_decoded(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(high), Some(low)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The lowercase words of a key: `dbPassword` → `db`, `password`; `APIKey` → `api`,
/// `key`; `fs.s3a.secret.key` → `fs`, `s3a`, `secret`, `key`.
fn words(key: &str) -> Vec<String> {
    let chars: Vec<char> = key.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && !current.is_empty() {
            let previous = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if previous.is_lowercase() || previous.is_numeric() || (previous.is_uppercase() && next_is_lower) {
                words.push(std::mem::take(&mut current));
            }
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_into_words_in_any_case_style() {
        assert_eq!(words("dbPassword"), ["db", "password"]);
        assert_eq!(words("APIKey"), ["api", "key"]);
        assert_eq!(words("fs.s3a.secret.key"), ["fs", "s3a", "secret", "key"]);
        assert_eq!(words("GITHUB_TOKEN"), ["github", "token"]);
        assert_eq!(words("private-key"), ["private", "key"]);
        assert_eq!(words("keyStorePassword"), ["key", "store", "password"]);
    }

    #[test]
    fn secret_keys_in_every_case_style() {
        for key in [
            "password",
            "passwd",
            "pwd",
            "pass",
            "PASSWORD",
            "db_password",
            "dbPassword",
            "DbPassword",
            "db-password",
            "private_key",
            "privateKey",
            "privatekey",
            "secret",
            "client_secret",
            "token",
            "GITHUB_TOKEN",
            "access_key",
            "accessKey",
            "api_key",
            "apikey",
            "fs.s3a.secret.key",
            "fs.s3a.access.key",
            "hadoop.http.authentication.signature.secret",
            "spark.ssl.keyStorePassword",
            "credentials",
            "%70assword",
            "%70%61ssword",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn references_and_other_keys_are_not_secrets() {
        for key in [
            "password_env",
            "passwordEnv",
            "airflow_conn_id",
            "private_key_file",
            "privateKeyPath",
            "hadoop.http.authentication.signature.secret.file",
            "token_id",
            "secret_name",
            "tokenizer",
            "token_count",
            "username",
            "bypass",
            "passes",
            "password_policy",
            "key",
            "primary_key",
            "partition_key",
            "dfs.nameservices",
            "",
            "%",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }
}
