//! Names of the rules that vetlint's code raises itself (load and schema rules); each has a
//! metadata file in `rules/`, and a test keeps the two in step.

/// The file is not valid JSON or YAML.
pub const PARSE_ERROR: &str = "parse-error";
/// An object has the same key twice.
pub const DUPLICATE_KEY: &str = "duplicate-key";
/// The document has no `kind`, or one vetlint does not know.
pub const UNKNOWN_KIND: &str = "unknown-kind";
/// The file could not be read.
pub const IO_ERROR: &str = "io-error";
/// The file is not UTF-8.
pub const INVALID_UTF8: &str = "invalid-utf8";
/// A YAML file holds more than one document.
pub const MULTIPLE_DOCUMENTS: &str = "multiple-documents";
/// The file is larger than `[limits] file-size`.
pub const FILE_TOO_LARGE: &str = "file-too-large";
/// Lists and mappings nest deeper than `[limits] depth`.
pub const TOO_DEEP: &str = "too-deep";
/// YAML aliases copy more values than `[limits] yaml-alias-values`.
pub const TOO_MANY_ALIASES: &str = "too-many-aliases";
/// `vetlint.toml` or a rule file is wrong (stops the run).
pub const CONFIG_ERROR: &str = "config-error";
/// A required field is missing.
pub const SCHEMA_REQUIRED: &str = "schema-required";
/// A value has the wrong JSON type.
pub const SCHEMA_TYPE: &str = "schema-type";
/// A value is not one of the allowed values.
pub const SCHEMA_ENUM: &str = "schema-enum";
/// An object has a field the schema does not define.
pub const SCHEMA_ADDITIONAL_PROPERTIES: &str = "schema-additional-properties";
/// A string does not match its pattern.
pub const SCHEMA_PATTERN: &str = "schema-pattern";
/// A string is not in its format (e.g. a date).
pub const SCHEMA_FORMAT: &str = "schema-format";
/// A number is out of range.
pub const SCHEMA_RANGE: &str = "schema-range";
/// A string is too short or too long.
pub const SCHEMA_LENGTH: &str = "schema-length";
/// A list has too few, too many or repeated items.
pub const SCHEMA_ITEMS: &str = "schema-items";
/// A value differs from the one constant the schema allows.
pub const SCHEMA_CONST: &str = "schema-const";
/// Any other schema keyword failure.
pub const SCHEMA_INVALID: &str = "schema-invalid";

/// A suppression without a reason, with an unknown rule, or in the wrong place.
pub const INVALID_IGNORE: &str = "invalid-ignore";
/// A suppression that matches no finding.
pub const UNUSED_IGNORE: &str = "unused-ignore";
/// An `[[ignore]]` entry past its `until` date.
pub const EXPIRED_IGNORE: &str = "expired-ignore";

/// Two documents of one kind share an id.
pub const DUPLICATE_ID: &str = "duplicate-id";
/// A policy rule failed to evaluate.
pub const RULE_ERROR: &str = "rule-error";

/// Every built-in rule name.
pub const ALL: &[&str] = &[
    PARSE_ERROR,
    DUPLICATE_KEY,
    UNKNOWN_KIND,
    IO_ERROR,
    INVALID_UTF8,
    MULTIPLE_DOCUMENTS,
    FILE_TOO_LARGE,
    TOO_DEEP,
    TOO_MANY_ALIASES,
    CONFIG_ERROR,
    SCHEMA_REQUIRED,
    SCHEMA_TYPE,
    SCHEMA_ENUM,
    SCHEMA_ADDITIONAL_PROPERTIES,
    SCHEMA_PATTERN,
    SCHEMA_FORMAT,
    SCHEMA_RANGE,
    SCHEMA_LENGTH,
    SCHEMA_ITEMS,
    SCHEMA_CONST,
    SCHEMA_INVALID,
    DUPLICATE_ID,
    RULE_ERROR,
    INVALID_IGNORE,
    UNUSED_IGNORE,
    EXPIRED_IGNORE,
];
