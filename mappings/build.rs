//! Embeds every mapping file under `resources/` into the library, so the binaries carry their
//! mapping truth with them and `Catalog::embedded()` needs no files at run time.
use std::{env, fs, path::Path};

fn main() {
    let dir = Path::new("resources");
    println!("cargo:rerun-if-changed=resources");
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("mappings/resources must exist")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    let mut out =
        String::from("/// (file name, contents) of every embedded mapping file, sorted by name.\n");
    out.push_str("pub static EMBEDDED: &[(&str, &str)] = &[\n");
    for n in &names {
        println!("cargo:rerun-if-changed=resources/{n}");
        out.push_str(&format!(
            "    ({n:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/resources/{n}\"))),\n"
        ));
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").expect("OUT_DIR")).join("embedded.rs");
    fs::write(dest, out).expect("write embedded.rs");
}
