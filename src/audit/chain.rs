//! The hash chain: canonical JSON, the record hash, and verification.
//!
//! A record's hash is `hex(SHA-256(prev_hash ‖ canonical))` where `prev_hash` is the
//! previous record's hash as 64 lowercase hex digits (64 zeros for the first record) and
//! `canonical` is the record without its hashes as JSON with sorted keys and no
//! whitespace: `{"actor":…,"at_ms":…,"incident_id":…,"kind":…,"payload":…,"seq":…}`,
//! the payload being the stored canonical payload text. The sequence number is hashed, so
//! moving records around is detected as well as changing, inserting or deleting one.
//! Changing a record and recomputing every later hash is not detected by the chain alone:
//! keep the head hash `medic audit verify` prints somewhere else and compare.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::model::AuditRecord;

/// The `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `value` as canonical JSON: object keys sorted (by their UTF-8 bytes), no whitespace,
/// strings escaped as serde_json does. The same value always gives the same text.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The hash of a record with these columns, chained to `prev_hash`.
pub fn record_hash(
    prev_hash: &str,
    seq: i64,
    at_ms: i64,
    kind: &str,
    incident_id: Option<&str>,
    actor: &str,
    payload_json: &str,
) -> String {
    let text = |s: &str| Value::String(s.to_string()).to_string();
    let incident = incident_id.map(text).unwrap_or_else(|| "null".into());
    let canonical = format!(
        "{{\"actor\":{},\"at_ms\":{at_ms},\"incident_id\":{incident},\"kind\":{},\"payload\":{payload_json},\"seq\":{seq}}}",
        text(actor),
        text(kind),
    );
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

impl AuditRecord {
    /// The hash this record should carry, computed from its columns and `prev_hash`.
    pub fn expected_hash(&self) -> String {
        record_hash(
            &self.prev_hash,
            self.seq,
            self.at_ms,
            &self.kind,
            self.incident_id.as_deref(),
            &self.actor,
            &self.payload_json,
        )
    }
}

/// Why a chain is broken, at the first record found wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    /// A record is missing: the sequence jumps.
    #[error("gap at seq {expected}: the next record found is seq {found} (records deleted or inserted)")]
    Gap {
        /// The sequence number that should have come next.
        expected: i64,
        /// The one found instead.
        found: i64,
    },
    /// The record does not point at the previous record's hash.
    #[error("prev_hash mismatch at seq {seq}: it is {found}, the previous record's hash is {expected}")]
    PrevHash {
        /// The record.
        seq: i64,
        /// The previous record's hash.
        expected: String,
        /// The record's `prev_hash`.
        found: String,
    },
    /// The record's contents do not give its hash (it was changed).
    #[error("hash mismatch at seq {seq}: stored {found}, the record's contents give {expected}")]
    Hash {
        /// The record.
        seq: i64,
        /// The hash its columns give.
        expected: String,
        /// The stored hash.
        found: String,
    },
}

impl Break {
    /// The first broken record's sequence number.
    pub fn seq(&self) -> i64 {
        match self {
            Break::Gap { expected, .. } => *expected,
            Break::PrevHash { seq, .. } | Break::Hash { seq, .. } => *seq,
        }
    }
}

/// Checks a chain fed oldest first, one record at a time (so it can be read in pages).
#[derive(Debug, Clone)]
pub struct Verifier {
    next_seq: i64,
    prev_hash: String,
    count: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    /// A verifier expecting the first record (seq 1, chained to [`GENESIS_HASH`]).
    pub fn new() -> Self {
        Verifier {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
            count: 0,
        }
    }

    /// Checks the next record: its seq follows, it points at the previous hash, and its
    /// hash matches its contents (in that order: the first failure is reported).
    pub fn check(&mut self, record: &AuditRecord) -> Result<(), Break> {
        if record.seq != self.next_seq {
            return Err(Break::Gap {
                expected: self.next_seq,
                found: record.seq,
            });
        }
        if record.prev_hash != self.prev_hash {
            return Err(Break::PrevHash {
                seq: record.seq,
                expected: self.prev_hash.clone(),
                found: record.prev_hash.clone(),
            });
        }
        let expected = record.expected_hash();
        if record.hash != expected {
            return Err(Break::Hash {
                seq: record.seq,
                expected,
                found: record.hash.clone(),
            });
        }
        self.next_seq += 1;
        self.prev_hash = record.hash.clone();
        self.count += 1;
        Ok(())
    }

    /// Records checked so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The hash of the last record checked (the head), [`GENESIS_HASH`] when none.
    pub fn head(&self) -> &str {
        &self.prev_hash
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let payload_json = canonical_json(&json!({"b": seq, "a": [1, {"z": 1, "y": 2}]}));
                let hash = record_hash(&prev, seq, 1_000 + seq, "verdict", Some("inc"), "medic", &payload_json);
                let record = AuditRecord {
                    seq,
                    at_ms: 1_000 + seq,
                    kind: "verdict".into(),
                    incident_id: Some("inc".into()),
                    actor: "medic".into(),
                    payload_json,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                record
            })
            .collect()
    }

    fn verify(records: &[AuditRecord]) -> Result<u64, Break> {
        let mut v = Verifier::new();
        for r in records {
            v.check(r)?;
        }
        Ok(v.count())
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = json!({"b": 1, "a": {"d": [true, null, "x\"y"], "c": 1.5}});
        assert_eq!(canonical_json(&v), r#"{"a":{"c":1.5,"d":[true,null,"x\"y"]},"b":1}"#);
    }

    #[test]
    fn the_record_hash_is_sha256_of_prev_and_canonical_record() {
        let h = record_hash(GENESIS_HASH, 1, 5, "approval", None, "alice", "{}");
        let mut hasher = Sha256::new();
        hasher.update(GENESIS_HASH.as_bytes());
        hasher.update(br#"{"actor":"alice","at_ms":5,"incident_id":null,"kind":"approval","payload":{},"seq":1}"#);
        assert_eq!(h, hex::encode(hasher.finalize()));
        assert_eq!(h.len(), 64);
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn a_changed_payload_is_a_hash_mismatch() {
        let mut c = chain(5);
        c[2].payload_json = c[2].payload_json.replace("3", "4");
        assert!(matches!(verify(&c), Err(Break::Hash { seq: 3, .. })));
    }

    #[test]
    fn a_deleted_record_is_a_gap() {
        let mut c = chain(5);
        c.remove(3);
        assert_eq!(verify(&c), Err(Break::Gap { expected: 4, found: 5 }));
        let mut c = chain(3);
        c.remove(0);
        assert_eq!(verify(&c), Err(Break::Gap { expected: 1, found: 2 }));
    }

    #[test]
    fn swapped_hashes_are_detected() {
        let mut c = chain(5);
        let (a, b) = (c[1].hash.clone(), c[2].hash.clone());
        c[1].hash = b;
        c[2].hash = a;
        assert!(matches!(verify(&c), Err(Break::Hash { seq: 2, .. })));
    }

    #[test]
    fn a_renumbered_record_is_detected() {
        let mut c = chain(4);
        // Drop seq 2 and renumber the rest: the sequence has no gap, the chain breaks.
        c.remove(1);
        c[1].seq = 2;
        c[2].seq = 3;
        let err = verify(&c).unwrap_err();
        assert!(matches!(err, Break::PrevHash { seq: 2, .. }), "{err}");
    }
}
