//! Pure parts of the runtime benchmark API contract
//! (apps/runtimes/contract/contract.json).

use serde::Serialize;

pub const COMPUTE_MAX_N: i64 = 100_000;
pub const ITEM_ID_MAX: i64 = 2_147_483_647;
pub const ECHO_MAX_BYTES: usize = 65_536;
pub const CONTENT_TYPE: &str = "application/json";

// Error bodies are fixed bytes: every runtime must answer byte-identically.
pub const MISSING_N: &str = r#"{"error":"missing query parameter n"}"#;
pub const INVALID_N: &str = r#"{"error":"n must be an integer between 1 and 100000"}"#;
pub const MISSING_ID: &str = r#"{"error":"missing query parameter id"}"#;
pub const INVALID_ID: &str = r#"{"error":"id must be an integer between 1 and 2147483647"}"#;
pub const ITEM_NOT_FOUND: &str = r#"{"error":"item not found"}"#;
pub const DATABASE_UNAVAILABLE: &str = r#"{"error":"database unavailable"}"#;
pub const BODY_TOO_LARGE: &str = r#"{"error":"request body too large"}"#;
pub const INVALID_JSON: &str = r#"{"error":"request body is not valid JSON"}"#;
pub const NOT_FOUND: &str = r#"{"error":"not found"}"#;
pub const METHOD_NOT_ALLOWED: &str = r#"{"error":"method not allowed"}"#;
pub const HEALTH: &str = r#"{"status":"ok"}"#;

/// The fixed /json payload; field order is wire order.
#[derive(Serialize)]
pub struct Document {
    pub id: u32,
    pub name: &'static str,
    pub description: &'static str,
    pub version: &'static str,
    pub active: bool,
    pub score: f64,
    pub tags: [&'static str; 3],
    pub owner: Owner,
    pub metrics: [Metric; 2],
    pub parent: Option<&'static str>,
}

#[derive(Serialize)]
pub struct Owner {
    pub team: &'static str,
    pub region: &'static str,
}

#[derive(Serialize)]
pub struct Metric {
    pub name: &'static str,
    pub value: u32,
}

pub fn new_document() -> Document {
    Document {
        id: 1,
        name: "illm-lab",
        description: "Fixed document for the JSON serialization benchmark",
        version: "1.0.0",
        active: true,
        score: 98.25,
        tags: ["benchmark", "json", "runtime"],
        owner: Owner { team: "platform", region: "eu-west-1" },
        metrics: [Metric { name: "p50_ms", value: 12 }, Metric { name: "p99_ms", value: 87 }],
        parent: None,
    }
}

#[derive(Serialize)]
pub struct Item {
    pub id: i32,
    pub name: String,
    pub value: i32,
}

#[derive(Serialize)]
pub struct Computed {
    pub n: i64,
    pub prime: i64,
}

/// First value of `key` in a raw query string, form-decoded; None if absent.
pub fn first_param(raw_query: Option<&str>, key: &str) -> Option<String> {
    form_urlencoded::parse(raw_query?.as_bytes()).find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

/// The contract's integer syntax: 1 to 10 decimal digits without sign or
/// leading zero, in [1, max].
pub fn parse_bounded(s: &str, max: i64) -> Option<i64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 10 || b[0] == b'0' || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: i64 = s.parse().ok()?;
    (n <= max).then_some(n)
}

/// The contract's CPU-bound work: trial division by odd divisors.
pub fn nth_prime(n: i64) -> i64 {
    if n == 1 {
        return 2;
    }
    let mut count = 1;
    let mut c: i64 = 3;
    loop {
        let mut prime = true;
        let mut d: i64 = 3;
        while d * d <= c {
            if c % d == 0 {
                prime = false;
                break;
            }
            d += 2;
        }
        if prime {
            count += 1;
            if count == n {
                return c;
            }
        }
        c += 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primes() {
        for (n, p) in [(1, 2), (2, 3), (10, 29), (1000, 7919), (10000, 104729)] {
            assert_eq!(nth_prime(n), p, "n={n}");
        }
    }

    #[test]
    fn bounded() {
        for (s, want) in [
            ("1", Some(1)),
            ("100000", Some(100000)),
            ("100001", None),
            ("0", None),
            ("007", None),
            ("+5", None),
            ("-5", None),
            ("", None),
            ("1e3", None),
            ("12345678901", None),
        ] {
            assert_eq!(parse_bounded(s, COMPUTE_MAX_N), want, "{s:?}");
        }
    }

    #[test]
    fn params() {
        assert_eq!(first_param(Some("n=10&n=abc"), "n").as_deref(), Some("10"));
        assert_eq!(first_param(Some("n=%31%30"), "n").as_deref(), Some("10"));
        assert_eq!(first_param(Some("n"), "n").as_deref(), Some(""));
        assert_eq!(first_param(Some("m=1"), "n"), None);
        assert_eq!(first_param(None, "n"), None);
    }

    #[test]
    fn document_bytes() {
        let got = serde_json::to_string(&new_document()).unwrap();
        assert_eq!(got, include_str!("../../contract/document.json"));
    }
}
