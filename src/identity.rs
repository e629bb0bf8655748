//! The stable identity of a finding, for baselines and SARIF `partialFingerprints`: rule, file,
//! JSON Pointer and a hash of the offending value when it is a scalar, never the line or the
//! message (which moves with edits elsewhere and changes with `--lang`).

use serde_json::Value;

use crate::diagnostic::Diagnostic;

/// Version of the identity scheme; part of every fingerprint, so a change of scheme never
/// matches old baselines by accident.
pub const SCHEME: &str = "vetlint/v1";

/// The fingerprint of `d` in the file shown as `path` whose value is `value`: 16 hex digits.
pub fn fingerprint(path: &str, d: &Diagnostic, value: Option<&Value>) -> String {
    let mut hash = Fnv::default();
    hash.field(SCHEME.as_bytes());
    hash.field(d.rule.as_bytes());
    hash.field(path.replace('\\', "/").as_bytes());
    let pointer = d.pointer.as_deref().unwrap_or_default();
    hash.field(pointer.as_bytes());
    // A scalar names the mistake itself (the level `特级`, the code `GB1O1`); a list or an
    // object would change with every unrelated edit inside it, so only its place counts.
    match value.and_then(|v| v.pointer(pointer)) {
        Some(scalar @ (Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null)) => {
            hash.field(scalar.to_string().as_bytes());
        }
        _ => hash.field(b""),
    }
    format!("{:016x}", hash.0)
}

/// FNV-1a, 64 bits: small, stable across platforms and releases (unlike `std`'s hasher).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Adds one field, with its length, so that fields never run into each other.
    fn field(&mut self, bytes: &[u8]) {
        for byte in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, pointer: &str) -> Diagnostic {
        Diagnostic::new(rule, 10..12, "message").with_pointer(pointer)
    }

    #[test]
    fn the_fingerprint_is_stable_and_ignores_place_and_message() {
        let value = serde_json::json!({"level": "特级", "courses": [{"code": "A"}]});
        let a = fingerprint(
            "plans/a.yaml",
            &finding("schema-enum", "/level"),
            Some(&value),
        );
        // Pinned: a change of scheme must be deliberate (bump SCHEME).
        assert_eq!(a, "6355e3c2e1c7477a");
        let mut moved = finding("schema-enum", "/level");
        moved.span = 500..502;
        moved.message = "另一种语言的消息".into();
        assert_eq!(a, fingerprint("plans/a.yaml", &moved, Some(&value)));
    }

    #[test]
    fn rule_file_pointer_and_scalar_value_each_count() {
        let value = serde_json::json!({"level": "特级", "other": "特级", "list": [1]});
        let base = fingerprint("a.yaml", &finding("schema-enum", "/level"), Some(&value));
        let changed = serde_json::json!({"level": "超级", "other": "特级", "list": [1]});
        for other in [
            fingerprint("b.yaml", &finding("schema-enum", "/level"), Some(&value)),
            fingerprint("a.yaml", &finding("schema-type", "/level"), Some(&value)),
            fingerprint("a.yaml", &finding("schema-enum", "/other"), Some(&value)),
            fingerprint("a.yaml", &finding("schema-enum", "/level"), Some(&changed)),
        ] {
            assert_ne!(base, other);
        }
        // A list's contents do not count.
        let grown = serde_json::json!({"list": [1, 2]});
        let list = serde_json::json!({"list": [1]});
        assert_eq!(
            fingerprint("a.yaml", &finding("schema-items", "/list"), Some(&list)),
            fingerprint("a.yaml", &finding("schema-items", "/list"), Some(&grown))
        );
    }
}
