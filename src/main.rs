//! The `vetlint` binary: parses arguments and hands over to the library.

/// mimalloc: glibc's allocator took a fifth of a large run (rule values and parsed documents,
/// allocated and freed on every worker thread).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    vetlint::cli::main()
}
