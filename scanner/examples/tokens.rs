//! Prints the token stream of a file (debug aid): `cargo run -p harvest-scan --example tokens FILE`.
fn main() {
    for a in std::env::args().skip(1) {
        for t in harvest_scan::debug_tokens(std::path::Path::new(&a)) {
            println!("{t}");
        }
    }
}
