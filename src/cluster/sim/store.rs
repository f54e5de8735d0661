//! The simulated cluster's state: objects keyed like etcd keys them, container logs and
//! exec answers, the resourceVersion counter, the clock and the log of applied operations.
//!
//! Everything here is plain data behind the `SimCluster`'s mutex. This module must not
//! implement API semantics (that is `apply`) nor controller behaviour (`controllers`).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::exec::{ExecAnswer, ExecKey};
use crate::cluster::{Object, ObjectRef, Operation};

/// Where an object lives: API group, kind, namespace (`""` when cluster-scoped), name.
/// The version is not part of the key: one object answers under every version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Key {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl Key {
    /// The key an object reference names.
    pub fn of_ref(r: &ObjectRef) -> Key {
        Key {
            group: r.kind.group().to_string(),
            kind: r.kind.kind.clone(),
            namespace: r.namespace.clone().unwrap_or_default(),
            name: r.name.clone(),
        }
    }

    /// The key of an object.
    pub fn of(o: &Object) -> Key {
        Key {
            group: o.kind().group().to_string(),
            kind: o.kind().kind,
            namespace: o.namespace().unwrap_or_default().to_string(),
            name: o.name().to_string(),
        }
    }

    /// A key of the same group and kind in the same namespace.
    pub fn sibling(&self, name: &str) -> Key {
        Key {
            name: name.to_string(),
            ..self.clone()
        }
    }

    /// A key in the core or `apps` group.
    pub fn new(group: &str, kind: &str, namespace: &str, name: &str) -> Key {
        Key {
            group: group.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }
}

/// A container log: namespace, pod, container, and whether it is the previous instance's.
pub(super) type LogKey = (String, String, String, bool);

/// What time it is in the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Clock {
    /// The system clock.
    System,
    /// A frozen instant (tests, evaluation scenarios).
    Fixed(Timestamp),
}

/// The whole state.
#[derive(Debug)]
pub(super) struct Store {
    /// Every object.
    pub objects: BTreeMap<Key, Object>,
    /// Container logs.
    pub logs: BTreeMap<LogKey, String>,
    /// What commands answer in a container, by the argv joined with spaces.
    pub exec: BTreeMap<ExecKey, BTreeMap<String, ExecAnswer>>,
    /// Operations applied successfully through `Cluster::apply`, in order.
    pub applied: Vec<Operation>,
    /// For StatefulSets and DaemonSets: the pod template last rolled out and its revision name.
    pub rolled_out: BTreeMap<Key, (Value, String)>,
    /// The clock.
    pub clock: Clock,
    /// Injected faults (see `faults`).
    pub faults: Vec<super::faults::FaultState>,
    /// The last resourceVersion issued.
    last_version: u64,
    /// A counter feeding generated names and uids.
    serial: u64,
}

/// The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes).
const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

impl Store {
    pub fn new(clock: Clock) -> Store {
        Store {
            objects: BTreeMap::new(),
            logs: BTreeMap::new(),
            exec: BTreeMap::new(),
            applied: Vec::new(),
            rolled_out: BTreeMap::new(),
            clock,
            faults: Vec::new(),
            last_version: 0,
            serial: 0,
        }
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        match self.clock {
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => t,
        }
    }

    /// The current time as the API server writes it (RFC 3339, seconds).
    pub fn now_text(&self) -> String {
        format_time(self.now())
    }

    /// Makes sure future resourceVersions are above `seen` (for loaded objects).
    pub fn observe_version(&mut self, seen: &str) {
        if let Ok(v) = seen.parse::<u64>() {
            self.last_version = self.last_version.max(v);
        }
    }

    fn next_version(&mut self) -> String {
        self.last_version += 1;
        self.last_version.to_string()
    }

    /// A deterministic, unique uid.
    pub fn fresh_uid(&mut self, key: &Key) -> String {
        self.serial += 1;
        let h = digest(&format!("uid/{}/{key:?}", self.serial));
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// A 5-character name suffix, deterministic but different on each call, like the
    /// random ones Kubernetes appends to `generateName`.
    pub fn fresh_suffix(&mut self, seed: &str) -> String {
        self.serial += 1;
        encode_safe(&Sha256::digest(format!("name/{}/{seed}", self.serial)), 5)
    }

    /// A name `prefix` + 5 characters not used by any object with `key`'s group, kind and namespace.
    pub fn fresh_name(&mut self, key: &Key, prefix: &str) -> String {
        loop {
            let name = format!("{prefix}{}", self.fresh_suffix(prefix));
            if !self.objects.contains_key(&key.sibling(&name)) {
                return name;
            }
        }
    }

    pub fn get(&self, key: &Key) -> Option<&Object> {
        self.objects.get(key)
    }

    /// Objects of a group and kind, in one namespace or all, in key order.
    pub fn list<'a>(
        &'a self,
        group: &'a str,
        kind: &'a str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        self.objects
            .iter()
            .filter(move |(k, _)| k.group == group && k.kind == kind && namespace.is_none_or(|ns| k.namespace == ns))
            .map(|(_, o)| o)
    }

    /// Stores a new object, filling in uid, creationTimestamp (when missing) and a fresh
    /// resourceVersion. Returns the stored object.
    pub fn insert_new(&mut self, mut object: Object) -> Object {
        let key = Key::of(&object);
        let uid = match object.uid() {
            Some(u) if !u.is_empty() => None,
            _ => Some(self.fresh_uid(&key)),
        };
        let now = self.now_text();
        let version = self.next_version();
        let meta = metadata_mut(&mut object);
        if let Some(uid) = uid {
            meta.insert("uid".into(), json!(uid));
        }
        meta.entry("creationTimestamp").or_insert_with(|| json!(now));
        meta.insert("resourceVersion".into(), json!(version));
        self.objects.insert(key, object.clone());
        object
    }

    /// Stores a loaded object as is, generating only what is missing.
    pub fn insert_loaded(&mut self, mut object: Object) {
        let key = Key::of(&object);
        let missing_uid = object.uid().is_none_or(str::is_empty);
        let uid = missing_uid.then(|| self.fresh_uid(&key));
        let version = match object.resource_version() {
            Some(v) if !v.is_empty() => None,
            _ => Some(self.next_version()),
        };
        let now = self.now_text();
        let meta = metadata_mut(&mut object);
        if let Some(uid) = uid {
            meta.insert("uid".into(), json!(uid));
        }
        if let Some(v) = version {
            meta.insert("resourceVersion".into(), json!(v));
        }
        meta.entry("creationTimestamp").or_insert_with(|| json!(now));
        self.objects.insert(key, object);
    }

    /// Replaces an existing object when its content changed, with a fresh
    /// resourceVersion. Returns the stored object (unchanged when nothing changed).
    pub fn update(&mut self, mut object: Object) -> Object {
        let key = Key::of(&object);
        if let Some(old) = self.objects.get(&key) {
            let mut old_cmp = old.0.clone();
            let mut new_cmp = object.0.clone();
            for v in [&mut old_cmp, &mut new_cmp] {
                if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
                    m.remove("resourceVersion");
                }
            }
            if old_cmp == new_cmp {
                return old.clone();
            }
        }
        let version = self.next_version();
        metadata_mut(&mut object).insert("resourceVersion".into(), json!(version));
        self.objects.insert(key, object.clone());
        object
    }

    /// Removes an object (and, for a pod, its logs).
    pub fn remove(&mut self, key: &Key) -> Option<Object> {
        let removed = self.objects.remove(key)?;
        if key.group.is_empty() && key.kind == "Pod" {
            self.logs
                .retain(|(ns, pod, _, _), _| !(ns == &key.namespace && pod == &key.name));
        }
        self.rolled_out.remove(key);
        Some(removed)
    }
}

/// `metadata` as a mutable map, created when missing.
pub(super) fn metadata_mut(object: &mut Object) -> &mut serde_json::Map<String, Value> {
    if !object.0.get("metadata").is_some_and(Value::is_object) {
        object.0["metadata"] = json!({});
    }
    object.0["metadata"]
        .as_object_mut()
        .unwrap_or_else(|| unreachable!("metadata was just made an object"))
}

/// RFC 3339 with whole seconds, as the API server writes timestamps.
pub(super) fn format_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Hex SHA-256 of a string.
fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// `len` characters of Kubernetes' safe alphabet from hash bytes.
pub(super) fn encode_safe(bytes: &[u8], len: usize) -> String {
    bytes
        .iter()
        .take(len)
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// A stable hash of a JSON value (keys sorted at every level), in the safe alphabet.
pub(super) fn stable_hash(value: &Value, len: usize) -> String {
    let mut hasher = Sha256::new();
    feed(&mut hasher, value);
    encode_safe(&hasher.finalize(), len)
}

fn feed(h: &mut Sha256, v: &Value) {
    match v {
        Value::Object(m) => {
            h.update(b"{");
            let mut keys: Vec<_> = m.keys().collect();
            keys.sort();
            for k in keys {
                h.update(serde_json::to_string(k).unwrap_or_default().as_bytes());
                h.update(b":");
                feed(h, &m[k]);
                h.update(b",");
            }
            h.update(b"}");
        }
        Value::Array(a) => {
            h.update(b"[");
            for x in a {
                feed(h, x);
                h.update(b",");
            }
            h.update(b"]");
        }
        other => h.update(other.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_and_hashes_are_stable_and_safe() {
        let mut a = Store::new(Clock::Fixed(Timestamp::UNIX_EPOCH));
        let mut b = Store::new(Clock::Fixed(Timestamp::UNIX_EPOCH));
        let key = Key::new("", "Pod", "default", "x");
        assert_eq!(a.fresh_name(&key, "web-"), b.fresh_name(&key, "web-"));
        let n1 = a.fresh_suffix("web-");
        let n2 = a.fresh_suffix("web-");
        assert_ne!(n1, n2);
        assert!(n1.len() == 5 && n1.bytes().all(|c| ALPHABET.contains(&c)));
        assert_eq!(a.fresh_uid(&key).len(), 36);
        let x = serde_json::json!({"b": 1, "a": [1, {"d": 2, "c": 3}]});
        assert_eq!(stable_hash(&x, 10), stable_hash(&x.clone(), 10));
        assert_ne!(stable_hash(&x, 10), stable_hash(&serde_json::json!({"b": 2}), 10));
        assert_eq!(a.now_text(), "1970-01-01T00:00:00Z");
    }
}
