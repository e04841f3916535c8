//! ep-model: placeholder until the model builder lands.
fn main() {
    eprintln!("ep-model: not built yet");
    std::process::exit(2);
}
