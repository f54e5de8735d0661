//! [`HashedEmbedder`]: the default embedder, needing no model and no network.
//!
//! The incident text (see [`super::text`]) is made of lines `field: value`. Of each value
//! it takes word unigrams, word bigrams and the character 3- and 4-grams of each word
//! (with `<` `>` marking word boundaries), hashes each feature with FNV-1a (stable across
//! builds and platforms, unlike the standard library's hasher) into one of `dims` buckets
//! with a sign taken from another bit of the hash (signed feature hashing, so collisions
//! cancel out on average instead of piling up), weights counts sublinearly
//! (`1 + ln(count)`) and normalizes the vector to unit length, so a dot product is the
//! cosine. Field names are left out (every incident has them, they would only add a
//! constant to every similarity) but weigh their values: the context's facts, which say
//! what the trouble is, count more than labels, which mostly say where it is.
//!
//! It is a pure function of the text: it must not read files, the network or the clock.
//! Changing the features or weights changes every vector: bump [`HashedEmbedder::NAME`].

use std::collections::HashMap;

use async_trait::async_trait;

use super::embed::Embedder;
use super::error::MemoryError;

/// Weight of a word.
const UNIGRAM_WEIGHT: f32 = 1.0;
/// Weight of two adjacent words.
const BIGRAM_WEIGHT: f32 = 0.7;
/// Weight of one character n-gram (a word has many).
const CHARGRAM_WEIGHT: f32 = 0.25;
/// Weight of why a container last died (see [`field_weight`]).
const CAUSE_WEIGHT: f32 = 3.0;
/// Weight of the words of a context fact (see [`field_weight`]).
const FACT_WEIGHT: f32 = 2.0;
/// Weight of the words of a label (see [`field_weight`]).
const LABEL_WEIGHT: f32 = 0.5;
/// Character n-gram lengths.
const CHARGRAM_LENGTHS: [usize; 2] = [3, 4];

/// The default embedder: hashed word and character n-grams.
#[derive(Debug, Clone)]
pub struct HashedEmbedder {
    dims: usize,
}

impl HashedEmbedder {
    /// The name stored with its vectors.
    pub const NAME: &'static str = "hashed-ngram-v1";

    /// An embedder producing `dims`-component vectors (`dims` at least 1).
    pub fn new(dims: usize) -> HashedEmbedder {
        HashedEmbedder { dims: dims.max(1) }
    }

    /// The vector of one text (synchronous: it only computes).
    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        let mut counts: HashMap<u64, (f32, u32)> = HashMap::new();
        let mut add = |feature: &[u8], kind: u8, weight: f32| {
            let entry = counts.entry(fnv1a(kind, feature)).or_insert((weight, 0));
            entry.0 = entry.0.max(weight);
            entry.1 += 1;
        };
        for line in text.lines() {
            let (field, value) = line.split_once(": ").unwrap_or(("", line));
            let field_weight = field_weight(field);
            let words: Vec<String> = words(value).collect();
            for (i, word) in words.iter().enumerate() {
                add(word.as_bytes(), b'w', UNIGRAM_WEIGHT * field_weight);
                if let Some(next) = words.get(i + 1) {
                    add(format!("{word} {next}").as_bytes(), b'b', BIGRAM_WEIGHT * field_weight);
                }
                if word.chars().count() >= 3 {
                    let marked: Vec<char> = format!("<{word}>").chars().collect();
                    for n in CHARGRAM_LENGTHS {
                        for gram in marked.windows(n) {
                            add(
                                gram.iter().collect::<String>().as_bytes(),
                                b'c',
                                CHARGRAM_WEIGHT * field_weight,
                            );
                        }
                    }
                }
            }
        }
        let mut vector = vec![0.0f32; self.dims];
        for (hash, (weight, count)) in counts {
            let slot = (hash % self.dims as u64) as usize;
            let sign = if hash >> 63 == 1 { -1.0 } else { 1.0 };
            vector[slot] += sign * weight * (1.0 + (count as f32).ln());
        }
        normalize_in_place(&mut vector);
        vector
    }
}

#[async_trait]
impl Embedder for HashedEmbedder {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn dims(&self) -> usize {
        self.dims
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, MemoryError> {
        Ok(texts.iter().map(|t| self.embed_one(t)).collect())
    }
}

/// How much a line's field counts. The context's facts (why containers wait, events,
/// error lines, node conditions) say what the trouble is and weigh double, why a
/// container died (`OOMKilled`, exit 137) triple: two crash loops are told apart by it.
/// Labels mostly say where the trouble is (a namespace, an app) and weigh half, so the
/// same trouble in another namespace stays nearer than other trouble in the same one.
fn field_weight(field: &str) -> f32 {
    const CAUSES: &[&str] = &["terminated", "exit code"];
    const FACTS: &[&str] = &[
        "waiting",
        "waiting message",
        "event",
        "event message",
        "log",
        "node",
        "node condition",
        "rollout",
        "replicas",
        "pod phase",
        "pod",
    ];
    if CAUSES.contains(&field) {
        CAUSE_WEIGHT
    } else if FACTS.contains(&field) {
        FACT_WEIGHT
    } else if field.starts_with("label ") {
        LABEL_WEIGHT
    } else {
        1.0
    }
}

/// The words of a value: runs of letters, digits and `#`, lower case.
fn words(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(|c: char| !(c.is_alphanumeric() || c == '#'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// 64-bit FNV-1a of a feature kind byte followed by the feature.
fn fnv1a(kind: u8, bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for &b in std::iter::once(&kind).chain(bytes) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(PRIME);
    }
    // FNV's high bits mix poorly on short inputs; fold them before use.
    hash ^ (hash >> 29) ^ (hash << 31)
}

/// Scales a vector to unit length (a zero vector stays zero).
pub fn normalize_in_place(vector: &mut [f32]) {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in vector.iter_mut() {
            *x /= norm;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn vectors_are_unit_length_and_deterministic() {
        let e = HashedEmbedder::new(512);
        let v = e.embed_one("alert: kubepodcrashlooping\nwaiting: crashloopbackoff");
        assert_eq!(v.len(), 512);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
        assert_eq!(v, e.embed_one("alert: kubepodcrashlooping\nwaiting: crashloopbackoff"));
    }

    #[test]
    fn fnv_is_stable() {
        // Stored vectors depend on these values never changing.
        assert_eq!(fnv1a(b'w', b""), fnv1a(b'w', b""));
        assert_ne!(fnv1a(b'w', b"oom"), fnv1a(b'c', b"oom"));
        assert_eq!(fnv1a(b'w', b"oom"), 0x6b3d_b214_3577_0472);
    }

    #[test]
    fn field_names_do_not_count_and_similar_texts_are_closer() {
        let e = HashedEmbedder::new(512);
        let a = e.embed_one("terminated: oomkilled (oom killed)");
        let b = e.embed_one("log: oomkilled (oom killed)");
        assert!((cosine(&a, &b) - 1.0).abs() < 1e-5);
        let oom = e.embed_one("waiting: crashloopbackoff\nterminated: oomkilled\nlog: out of memory");
        let oom2 = e.embed_one("waiting: crashloopbackoff\nterminated: oomkilled\nlog: java heap out of memory");
        let pull = e.embed_one("waiting: imagepullbackoff\nevent message: failed to pull image");
        assert!(cosine(&oom, &oom2) > cosine(&oom, &pull) + 0.3);
    }

    #[test]
    fn empty_text_is_the_zero_vector() {
        let v = HashedEmbedder::new(16).embed_one("");
        assert!(v.iter().all(|x| *x == 0.0));
    }
}
