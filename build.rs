//! Rebuilds when rule files, reference tables or schemas change: they are compiled into the
//! binary with `include_dir!`, which cannot tell cargo on stable Rust.

fn main() {
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=rules/data");
    println!("cargo:rerun-if-changed=schemas");
}
