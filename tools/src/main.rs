//! The `lsemu` command line.

fn main() {
    eprintln!("lsemu: no commands yet");
    std::process::exit(2);
}
