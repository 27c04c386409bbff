//! `tuf-conformance-client`: the conformance-protocol client (see the `conformance` crate).
//! Exits 0 on full success and 1 on anything else, panics included.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = std::panic::catch_unwind(|| {
        let parsed = match conformance::Args::parse(args) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("tuf-conformance-client: {e}");
                return 1;
            }
        };
        let level = match parsed.verbose {
            0 => tracing::Level::WARN,
            1 => tracing::Level::INFO,
            _ => tracing::Level::DEBUG,
        };
        let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let _ = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(colour)
            .with_writer(std::io::stderr)
            .try_init();
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                eprintln!("tuf-conformance-client: {e}");
                return 1;
            }
        };
        match runtime.block_on(conformance::run(&parsed)) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("tuf-conformance-client: {} failed: {e}", parsed.command);
                1
            }
        }
    })
    .unwrap_or(1);
    std::process::exit(code);
}
