//! Times JSON parsing of a file against serde_json: `cargo run --release --example parse_time FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("FILE");
    let bytes = std::fs::read(path).unwrap();
    let n = 20;
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(tuf_metadata::json::parse(&bytes).unwrap());
    }
    println!("ours: {:?} per parse", t.elapsed() / n);
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(serde_json::from_slice::<serde_json::Value>(&bytes).unwrap());
    }
    println!("serde_json: {:?} per parse", t.elapsed() / n);
    let v = tuf_metadata::json::parse(&bytes).unwrap();
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(tuf_metadata::json::write_canonical(&v));
    }
    println!("canonical write: {:?}", t.elapsed() / n);
}
