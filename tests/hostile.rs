//! Files that fight back, run through the real binary: unreadable files and folders, symbolic
//! link loops, names that are not UTF-8, pipes, binary, empty and enormous files, hostile
//! nesting and aliases. Each gives a finding, the run goes on, the exit code is 1 (never 2),
//! and nothing hangs. Also: limits from `vetlint.toml`, byte-identical output whatever the
//! thread count, and no network.

mod common;

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{VALID_REPORT, root, vetlint};

/// Runs `cmd` to completion or fails the test after `limit` (a hang is a defect).
fn run_bounded(cmd: &mut Command, limit: Duration) -> (i32, String, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vetlint");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("vetlint did not finish within {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status.code().unwrap_or(-1),
        out.join().unwrap(),
        err.join().unwrap(),
    )
}

/// A temporary directory that other users may enter (for the unprivileged run).
fn open_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    set_mode(dir.path(), 0o755);
    dir
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn write(dir: &Path, name: impl AsRef<Path>, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    set_mode(&path, 0o644);
}

/// Bytes that are no text at all (deterministic).
fn binary(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8 | 0x80
        })
        .collect()
}

/// The tree of hostile files, without permission tricks.
fn hostile_tree() -> tempfile::TempDir {
    let dir = open_tempdir();
    let d = dir.path();
    write(d, "good.yaml", VALID_REPORT.as_bytes());
    write(d, "binary.json", &binary(4096));
    write(
        d,
        "utf16.yaml",
        b"\xFF\xFEk\0i\0n\0d\0:\0 \0p\0l\0a\0n\0\n\0",
    );
    write(d, "empty.yaml", b"");
    write(d, "bom-only.yaml", b"\xEF\xBB\xBF");
    write(
        d,
        "truncated.json",
        br#"{"kind": "plan", "id": "wxit-570201-2021", "courses": [{"code": "GB1"#,
    );
    // Not UTF-8 in its name; the report inside has one mistake.
    let name = std::ffi::OsStr::from_bytes(b"\xFF\xFE-report.yaml");
    let odd = VALID_REPORT
        .replace("104", "many")
        .replace("wxit-vets-2021", "odd-name");
    write(d, name, odd.as_bytes());
    // 17 MiB, sparse: larger than the default 16 MiB limit without using the disk.
    let huge = std::fs::File::create(d.join("huge.yaml")).unwrap();
    huge.set_len(17 << 20).unwrap();
    // 100,000 nested arrays, and a YAML "billion laughs".
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    write(d, "deep.json", deep.as_bytes());
    let mut laughs = VALID_REPORT.replace("wxit-vets-2021", "laughs");
    laughs.push_str("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*l{}", i - 1); 9].join(", ");
        laughs.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    write(d, "laughs.yaml", laughs.as_bytes());
    // One line of 6 MB.
    let report = VALID_REPORT.replace("wxit-vets-2021", "long-line");
    let long = format!("{report}notes: \"{}\"\n", "长".repeat(2_000_000));
    write(d, "long-line.yaml", long.as_bytes());
    // Symbolic links: a loop, a dangling link, a folder that contains itself.
    std::os::unix::fs::symlink("loop-b.yaml", d.join("loop-a.yaml")).unwrap();
    std::os::unix::fs::symlink("loop-a.yaml", d.join("loop-b.yaml")).unwrap();
    std::os::unix::fs::symlink("nowhere.yaml", d.join("dangling.yaml")).unwrap();
    std::fs::create_dir(d.join("sub")).unwrap();
    set_mode(&d.join("sub"), 0o755);
    std::os::unix::fs::symlink("..", d.join("sub/parent")).unwrap();
    dir
}

/// A named pipe: reading it would block forever, so vetlint must not open it.
fn make_fifo(path: &Path) -> bool {
    Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

const EXPLICIT: &[&str] = &[
    "good.yaml",
    "binary.json",
    "utf16.yaml",
    "empty.yaml",
    "bom-only.yaml",
    "truncated.json",
    "huge.yaml",
    "deep.json",
    "laughs.yaml",
    "long-line.yaml",
    "loop-a.yaml",
    "dangling.yaml",
    "missing.yaml",
];

#[test]
fn hostile_files_named_explicitly_each_give_a_finding() {
    let dir = hostile_tree();
    let fifo = make_fifo(&dir.path().join("pipe.yaml"));
    let mut args: Vec<&str> = EXPLICIT.to_vec();
    if fifo {
        args.push("pipe.yaml");
    }
    let odd_name = std::ffi::OsStr::from_bytes(b"\xFF\xFE-report.yaml");
    let (code, out, err) = run_bounded(
        vetlint(dir.path())
            .args(["check", "--format", "short"])
            .args(&args)
            .arg(odd_name),
        Duration::from_secs(120),
    );
    assert_eq!(code, 1, "findings give exit code 1, never 2\n{out}\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    let expect = [
        ("binary.json", "invalid-utf8"),
        ("utf16.yaml", "invalid-utf8"),
        ("empty.yaml", "unknown-kind"),
        ("bom-only.yaml", "unknown-kind"),
        ("truncated.json", "parse-error"),
        ("huge.yaml", "file-too-large"),
        ("deep.json", "too-deep"),
        ("laughs.yaml", "too-many-aliases"),
        ("long-line.yaml", "schema-additional-properties"),
        ("loop-a.yaml", "io-error"),
        ("dangling.yaml", "io-error"),
        ("missing.yaml", "io-error"),
        ("\u{FFFD}\u{FFFD}-report.yaml", "schema-type"),
    ];
    for (file, rule) in expect {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{file}:")) && l.contains(&format!("[{rule}]"))),
            "{file} should give {rule}:\n{out}"
        );
    }
    if fifo {
        assert!(
            out.contains(
                "pipe.yaml:1:1: error[io-error]: cannot read the file: not a regular file"
            ),
            "{out}"
        );
    }
    assert!(!out.lines().any(|l| l.starts_with("good.yaml")), "{out}");
    insta::assert_snapshot!(without_pipe(&out));
    // Every file named is counted in the summary.
    let (_, json, _) = run_bounded(
        vetlint(dir.path())
            .args(["check", "--format", "json"])
            .args(&args)
            .arg(odd_name),
        Duration::from_secs(120),
    );
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["summary"]["files"], args.len() + 1);
}

/// The short report without the pipe's line (mkfifo may be missing), for the snapshot.
fn without_pipe(out: &str) -> String {
    out.lines()
        .filter(|l| !l.starts_with("pipe.yaml"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn hostile_files_found_by_walking_are_reported_or_skipped_as_documented() {
    let dir = hostile_tree();
    make_fifo(&dir.path().join("pipe.yaml"));
    let (code, out, err) = run_bounded(
        vetlint(dir.path()).args(["check", "--format", "short"]),
        Duration::from_secs(120),
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    // Files whose content could not be had are reported; files without a `kind` (the empty
    // ones) and links (not followed when walking, like ripgrep) are skipped.
    for reported in [
        "binary.json:",
        "utf16.yaml:",
        "huge.yaml:",
        "truncated.json:",
        "long-line.yaml:",
    ] {
        assert!(out.contains(reported), "{reported} missing:\n{out}");
    }
    for skipped in [
        "empty.yaml",
        "bom-only.yaml",
        "loop-a.yaml",
        "dangling.yaml",
        "pipe.yaml",
    ] {
        assert!(
            !out.contains(skipped),
            "{skipped} should be skipped:\n{out}"
        );
    }
    insta::assert_snapshot!(out);
}

/// Whether this process runs as root (which reads files whatever their permissions).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

#[test]
fn unreadable_files_and_folders_are_io_errors() {
    let dir = open_tempdir();
    let d = dir.path();
    write(d, "good.yaml", VALID_REPORT.as_bytes());
    write(d, "secret.yaml", VALID_REPORT.as_bytes());
    write(d, "locked/inside.yaml", VALID_REPORT.as_bytes());
    set_mode(&d.join("secret.yaml"), 0o000);
    set_mode(&d.join("locked"), 0o000);
    // Root reads everything: run the binary as `nobody` instead, when that is possible.
    let mut cmd = if is_root() {
        let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
            .into_iter()
            .find(|p| Path::new(p).exists());
        let Some(setpriv) = setpriv else {
            eprintln!("skipped: running as root without setpriv, permissions cannot be tested");
            return;
        };
        let mut cmd = Command::new(setpriv);
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_vetlint"))
            .current_dir(d)
            .env("NO_COLOR", "1")
            .env("LANG", "C.UTF-8");
        cmd
    } else {
        vetlint(d)
    };
    cmd.args(["check", "--format", "short"]);
    let (code, out, err) = run_bounded(&mut cmd, Duration::from_secs(60));
    if err.contains("Permission denied") && out.is_empty() {
        eprintln!("skipped: the binary cannot run as nobody here: {err}");
        return;
    }
    assert_eq!(code, 1, "{out}\n{err}");
    assert_eq!(
        out,
        "locked:1:1: error[io-error]: cannot read the folder, so its documents were not checked: permission denied\n\
         secret.yaml:1:1: error[io-error]: cannot read the file: permission denied\n"
    );

    set_mode(&d.join("locked"), 0o755);
}

#[test]
fn a_file_deleted_after_discovery_is_an_io_error() {
    use vetlint::check::Origin;
    use vetlint::discover::Input;
    let dir = common::tree(&[("gone.yaml", VALID_REPORT)]);
    let path = dir.path().join("gone.yaml");
    std::fs::remove_file(&path).unwrap();
    let input = Input {
        path,
        display: "gone.yaml".into(),
        origin: Origin::Walked,
    };
    let doc = vetlint::run::read(
        &input,
        &vetlint::limits::Limits::default(),
        vetlint::lang::Lang::En,
    );
    assert_eq!(doc.diagnostics.len(), 1);
    assert_eq!(doc.diagnostics[0].rule, "io-error");
    assert!(doc.diagnostics[0].message.contains("no such file"));
}

#[test]
fn limits_come_from_the_configuration() {
    let dir = common::tree(&[
        (
            "vetlint.toml",
            "[limits]\nfile-size = \"300 B\"\ndepth = 2\nyaml-alias-values = 3\n",
        ),
        (
            "big.yaml",
            &format!("{VALID_REPORT}# {}\n", "x".repeat(300)),
        ),
        ("deep.yaml", &format!("{VALID_REPORT}notes: [[1]]\n")),
        (
            "alias.yaml",
            &format!("{VALID_REPORT}a: &a [1, 2]\nb: [*a, *a]\n"),
        ),
    ]);
    let (code, out, err) = run_bounded(
        vetlint(dir.path()).args(["check", "--format", "short"]),
        Duration::from_secs(60),
    );
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!(out, @r"
    alias.yaml:10:9: error[too-many-aliases]: YAML aliases here copy more than 3 values in all; vetlint stops expanding them
    big.yaml:1:1: error[file-too-large]: the file is 423 B (423 bytes), more than the 300 B limit; it was not read
    deep.yaml:9:9: error[too-deep]: lists and mappings nest more than 2 levels deep here
    ");
}

#[test]
fn stdin_over_the_size_limit_is_not_read_whole() {
    let dir = common::tree(&[("vetlint.toml", "[limits]\nfile-size = 100\n")]);
    let mut child = vetlint(dir.path())
        .args([
            "check",
            "--stdin-filename",
            "plan.yaml",
            "--format",
            "short",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Much more than the limit; vetlint may stop reading early (a broken pipe is fine).
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&vec![b'#'; 1 << 20]);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("plan.yaml:1:1: error[file-too-large]"),
        "{out}"
    );
}

/// A corpus of `n` documents: valid and faulty reports and plans, some broken.
fn corpus(dir: &Path, n: usize) {
    let plan =
        std::fs::read_to_string(root().join("fixtures/examples/plans/wxit-570201-2021.yaml"))
            .unwrap();
    let json_plan =
        std::fs::read_to_string(root().join("fixtures/examples/plans/szpt-530701-2021.json"))
            .unwrap();
    for i in 0..n {
        let folder = format!("school-{:02}", i % 37);
        let (name, text) = match i % 10 {
            0..=3 => (
                format!("report-{i}.yaml"),
                VALID_REPORT
                    .replace("wxit-vets-2021", &format!("r-{i}"))
                    .replace("104", &format!("{}", 40 + i % 90)),
            ),
            4 | 5 => (
                format!("plan-{i}.yaml"),
                plan.replace("wxit-570201-2021", &format!("p-{i}")),
            ),
            6 => (
                format!("plan-{i}.json"),
                json_plan.replace("szpt-530701-2021", &format!("j-{i}")),
            ),
            7 => (
                format!("broken-{i}.yaml"),
                plan[..plan.floor_char_boundary(plan.len() * (i % 7 + 1) / 9)].to_owned(),
            ),
            8 => (
                format!("dup-{i}.yaml"),
                VALID_REPORT.replace("wxit-vets-2021", &format!("r-{}", i - 8)),
            ),
            _ => (
                format!("odd-{i}.json"),
                format!("{{\"kind\": \"pilot-report\", \"id\": \"o-{i}\", \"trained\": \"{i}\"}}"),
            ),
        };
        write(dir, format!("{folder}/{name}"), text.as_bytes());
    }
}

#[test]
fn output_is_byte_identical_with_one_thread_and_with_many() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path(), 2000);
    // One run per thread count: JSON to a file, human on the terminal, SARIF to a file.
    let reports = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "7"] {
        let json = reports.path().join(format!("{threads}.json"));
        let sarif = reports.path().join(format!("{threads}.sarif"));
        let (code, human, err) = run_bounded(
            vetlint(dir.path())
                .args([
                    "check",
                    "--threads",
                    threads,
                    "--format",
                    "json",
                    "--output",
                ])
                .arg(&json)
                .args(["--format", "sarif", "--output"])
                .arg(&sarif),
            Duration::from_secs(600),
        );
        assert_eq!(code, 1, "{err}");
        let json = std::fs::read_to_string(json).unwrap();
        let sarif = std::fs::read_to_string(sarif).unwrap();
        outputs.push((json, human, sarif, err));
    }
    let json: serde_json::Value = serde_json::from_str(&outputs[0].0).unwrap();
    assert_eq!(json["summary"]["files"], 2000, "every file is checked");
    assert!(
        outputs[0].0 == outputs[1].0,
        "JSON differs between --threads 1 and 7"
    );
    assert!(
        outputs[0].1 == outputs[1].1,
        "human output differs between --threads 1 and 7"
    );
    assert!(
        outputs[0].2 == outputs[1].2,
        "SARIF differs between --threads 1 and 7"
    );
    assert!(
        outputs[0].3 == outputs[1].3,
        "stderr differs between --threads 1 and 7"
    );
}

#[test]
fn a_remote_schema_reference_is_reported_not_fetched() {
    use std::borrow::Cow;
    let rule = std::fs::read_to_string(root().join("schemas/rule.schema.json")).unwrap();
    let remote = r#"{
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://vetlint.example/remote.schema.json",
        "type": "object",
        "properties": {
            "kind": { "const": "remote" },
            "school": { "$ref": "https://schemas.example.com/school.schema.json" }
        }
    }"#;
    let start = Instant::now();
    let result = vetlint::schema::Schemas::from_texts([
        ("rule.schema.json".to_owned(), Cow::Owned(rule)),
        ("remote.schema.json".to_owned(), Cow::Borrowed(remote)),
    ]);
    let error = result
        .expect_err("a remote $ref cannot resolve offline")
        .to_string();
    assert!(
        error.contains("https://schemas.example.com/school.schema.json"),
        "the error names the address: {error}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "no network wait: {:?}",
        start.elapsed()
    );
}

#[test]
fn no_http_client_is_in_the_build() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--locked",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(root())
        .output()
        .expect("cargo tree");
    if !output.status.success() {
        eprintln!(
            "skipped: cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(
        tree.contains("jsonschema"),
        "the tree lists the dependencies"
    );
    let clients = [
        "reqwest",
        "hyper",
        "ureq",
        "curl",
        "isahc",
        "attohttpc",
        "surf",
        "h2",
        "native-tls",
        "rustls",
        "openssl",
    ];
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        assert!(
            !clients.contains(&name),
            "an HTTP or TLS client is in the build: {line}"
        );
    }
}

/// Regression found by fuzzing (`fuzz/regressions/check-miette-wide-column`): a line of 16,384
/// tabs made miette pad a label past Rust's formatting width limit and panic. Long lines are
/// now cut around the label.
#[test]
fn a_finding_after_thousands_of_tabs_renders() {
    let dir = open_tempdir();
    let text = format!("[{}x", "\t".repeat(16_384));
    write(dir.path(), "wide.json", text.as_bytes());
    let (code, out, err) = run_bounded(
        vetlint(dir.path()).args(["check", "wide.json", "--color", "never"]),
        Duration::from_secs(60),
    );
    assert_eq!(code, 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.contains("parse-error") && out.len() < 4_000, "{out}");
}
