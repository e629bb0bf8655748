//! The command line: turns arguments into a run, renders the result, picks the exit code.
//! The only module besides discovery that touches files, stdin and the terminal.

pub mod args;
mod info;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use rayon::prelude::*;

use crate::check::{Engine, Origin};
use crate::config::Config;
use crate::diagnostic::{Diagnostic, FileReport, SourceFile};
use crate::discover::{self, Input};
use crate::error::Error;
use crate::lang::Lang;
use crate::load::{self, Format};
use crate::render::{self, RunReport, human};
use crate::rules::{RuleSet, names};
use crate::schema::Schemas;
use args::{CheckArgs, Cli, ColorChoice, Command, OutputFormat};

/// Exit code: no finding at or above the threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage, configuration or internal error.
pub const EXIT_ERROR: u8 = 2;

/// Runs vetlint with the process's arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { EXIT_OK });
        }
    };
    let lang = cli.lang.unwrap_or_else(Lang::from_env);
    let color = match &cli.command {
        Command::Check(a) => a.color,
        _ => ColorChoice::Auto,
    };
    let style = human::Style {
        color: use_color(color, &std::io::stderr()),
        width: terminal_width(),
        lang,
    };
    match run(cli, lang) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let text = match &error {
                Error::Config(reports) => human::render_reports(reports, style),
                other => format!("vetlint: {other}\n"),
            };
            let _ = std::io::stderr().write_all(text.as_bytes());
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Cli, lang: Lang) -> Result<u8, Error> {
    let schemas = Schemas::bundled()?;
    let rules = RuleSet::bundled(&schemas, lang).map_err(Error::Config)?;
    let mut stdout = std::io::stdout().lock();
    match cli.command {
        Command::Rules => {
            let _ = stdout.write_all(info::rules_table(&rules, lang).as_bytes());
            Ok(EXIT_OK)
        }
        Command::Explain { rule } => match rules.get(&rule) {
            Some(meta) => {
                let _ = stdout.write_all(info::explain(meta, lang).as_bytes());
                Ok(EXIT_OK)
            }
            None => {
                let guess =
                    crate::schema::report_suggest(&rule, rules.iter().map(|r| r.name.as_str()));
                Err(Error::Usage(match guess {
                    Some(g) => format!("unknown rule `{rule}`; did you mean `{g}`?"),
                    None => format!("unknown rule `{rule}`; `vetlint rules` lists every rule"),
                }))
            }
        },
        Command::Schema { kind } => match info::schema(&schemas, &kind) {
            Some(text) => {
                let _ = stdout.write_all(text.as_bytes());
                Ok(EXIT_OK)
            }
            None => {
                let kinds: Vec<&str> = schemas.kinds().collect();
                Err(Error::Usage(format!(
                    "unknown kind `{kind}`; the kinds are: {}",
                    kinds.join(", ")
                )))
            }
        },
        Command::Check(args) => check(args, schemas, rules, lang),
    }
}

fn check(args: CheckArgs, schemas: Schemas, rules: RuleSet, lang: Lang) -> Result<u8, Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Io {
        path: ".".into(),
        source,
    })?;
    let config = load_config(&args, &cwd, &rules, lang)?;
    let engine = Engine {
        schemas,
        rules,
        config,
        lang,
    };
    let stdin_requested = args.paths.iter().any(|p| p == "-");
    let paths: Vec<String> = args.paths.iter().filter(|p| *p != "-").cloned().collect();
    let discovery = if stdin_requested && paths.is_empty() {
        discover::Discovery::default()
    } else {
        discover::discover(&paths, &cwd, &engine.config)
    };
    for missing in discovery.missing.iter().filter(|m| m.glob) {
        eprintln!(
            "{}",
            match lang {
                Lang::En => format!("vetlint: warning: `{}` matched no file", missing.arg),
                Lang::Zh => format!("vetlint：警告：`{}` 没有匹配到任何文件", missing.arg),
            }
        );
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;
    let mut files: Vec<FileReport> = pool.install(|| {
        discovery
            .inputs
            .par_iter()
            .filter_map(|input| check_input(&engine, input))
            .collect()
    });
    if stdin_requested {
        let name = args
            .stdin_filename
            .clone()
            .unwrap_or_else(|| "<stdin>".into());
        let format = Format::from_path(Path::new(&name));
        let mut bytes = Vec::new();
        let doc = match std::io::stdin().lock().read_to_end(&mut bytes) {
            Ok(_) => load::load(name, &bytes, format, lang),
            Err(e) => io_error_document(name, &e, lang),
        };
        files.extend(engine.check(doc, Origin::Explicit));
    }
    files.sort_by(|a, b| a.source.path.cmp(&b.source.path));
    let report = RunReport { files };
    if report.files.is_empty() {
        eprintln!(
            "{}",
            lang.pick(
                "vetlint：警告：没有找到要检查的文档",
                "vetlint: warning: no documents to check"
            )
        );
    }
    let text = match args.format {
        OutputFormat::Human => render::human::render(
            &report,
            human::Style {
                color: use_color(args.color, &std::io::stdout()),
                width: terminal_width(),
                lang,
            },
        ),
        OutputFormat::Short => render::short::render(&report),
        OutputFormat::Json => render::json::render(&report),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(if report.fails(args.fail_on) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// Reads, loads and checks one input; `None` when a walked file is not a vetlint document.
fn check_input(engine: &Engine, input: &Input) -> Option<FileReport> {
    let format = Format::from_path(&input.path);
    let doc = match std::fs::read(&input.path) {
        Ok(bytes) => load::load(input.display.clone(), &bytes, format, engine.lang),
        Err(e) => io_error_document(input.display.clone(), &e, engine.lang),
    };
    engine.check(doc, input.origin)
}

fn io_error_document(path: String, error: &std::io::Error, lang: Lang) -> load::Document {
    use std::io::ErrorKind as K;
    let reason = match (error.kind(), lang) {
        (K::NotFound, Lang::En) => "no such file or directory".to_owned(),
        (K::NotFound, Lang::Zh) => "文件不存在".to_owned(),
        (K::PermissionDenied, Lang::En) => "permission denied".to_owned(),
        (K::PermissionDenied, Lang::Zh) => "没有读取权限".to_owned(),
        (K::IsADirectory, Lang::En) => "is a directory".to_owned(),
        (K::IsADirectory, Lang::Zh) => "这是一个目录".to_owned(),
        (_, _) => error.to_string(),
    };
    let message = match lang {
        Lang::En => format!("cannot read the file: {reason}"),
        Lang::Zh => format!("无法读取文件：{reason}"),
    };
    load::Document {
        source: SourceFile::new(path, String::new()),
        format: Format::Yaml,
        value: None,
        spans: Default::default(),
        diagnostics: vec![Diagnostic::new(names::IO_ERROR, 0..0, message)],
    }
}

fn load_config(args: &CheckArgs, cwd: &Path, rules: &RuleSet, lang: Lang) -> Result<Config, Error> {
    if args.no_config {
        return Ok(Config::default_at(cwd.to_path_buf()));
    }
    let file: Option<PathBuf> = match &args.config {
        Some(path) => Some(cwd.join(path)),
        None => Config::find(cwd),
    };
    let Some(file) = file else {
        return Ok(Config::default_at(cwd.to_path_buf()));
    };
    let display = discover::display_path(&file, cwd);
    let text = std::fs::read_to_string(&file).map_err(|source| Error::Io {
        path: display.clone(),
        source,
    })?;
    Config::parse(&file, display, text, rules, lang).map_err(|r| Error::Config(vec![r]))
}

fn use_color(choice: ColorChoice, stream: &impl IsTerminal) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(100)
}
