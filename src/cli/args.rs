//! Command-line arguments (clap).

use std::path::PathBuf;

use clap::{ArgAction, Parser, Subcommand, ValueEnum};

use crate::diagnostic::Severity;
use crate::lang::Lang;

/// vetlint: checks 1+X skill-level standards and training plans against their schemas and
/// policy rules.
#[derive(Debug, Parser)]
#[command(name = "vetlint", version, about, max_term_width = 100)]
pub struct Cli {
    /// Message language [default: from LC_ALL / LC_MESSAGES / LANG]
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check documents (default: the current directory, honouring .gitignore).
    Check(Box<CheckArgs>),
    /// List every rule: name, group, severity, summary.
    Rules,
    /// Print a rule's documentation and examples.
    Explain {
        /// Rule name, e.g. `schema-required`.
        rule: String,
    },
    /// Run the language server on stdin/stdout (for editors).
    Lsp,
    /// Print the published JSON Schema of a document kind.
    Schema {
        /// Document kind, e.g. `plan`.
        kind: String,
    },
}

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Graphical reports with source snippets.
    Human,
    /// One line per finding: `path:line:col: severity[rule]: message`.
    Short,
    /// Stable, versioned JSON.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// GitHub Actions annotations (workflow commands).
    Github,
    /// JUnit XML: one test case per file, one failure per finding.
    Junit,
}

/// When to use colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When writing to a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files, directories or globs; `-` reads one document from stdin.
    pub paths: Vec<std::ffi::OsString>,
    /// Output format [default: human]; give it again with `--output` for more reports.
    #[arg(long, value_enum, action = ArgAction::Append)]
    pub format: Vec<OutputFormat>,
    /// Write the report of the `--format` just before to FILE; the terminal still gets the
    /// human report (or the one `--format` without `--output`).
    #[arg(long, value_name = "FILE", action = ArgAction::Append)]
    pub output: Vec<PathBuf>,
    /// Report only findings that are not in this baseline; say how many were.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record every current finding in FILE as the new baseline, and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Check only the files changed since a git revision (committed, staged, unstaged or
    /// untracked); every document still completes the workspace.
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: Severity,
    /// Name of the document read from stdin (decides its format and the printed path).
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// Configuration file [default: the nearest vetlint.toml upwards from the working directory].
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore every vetlint.toml.
    #[arg(long)]
    pub no_config: bool,
    /// Colours in the human format.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Print where the time went (setup, discover, load, schema, rules, render) and the
    /// counts, on stderr.
    #[arg(long)]
    pub stats: bool,
    /// Worker threads [default: one per core].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// The unoptimised path, for comparing the fast one against it: every file parsed whole
    /// with its span index and held to the end, every rule expression evaluated by the
    /// reference interpreter, every `let` of every subject.
    #[arg(long, hide = true)]
    pub reference: bool,
    /// Bytes of source kept whole before plans are read twice (default 8 MiB; tests set 0 to
    /// exercise the second reading).
    #[arg(long, hide = true, value_name = "BYTES")]
    pub hold: Option<u64>,
}
