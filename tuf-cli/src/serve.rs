//! `tuf-cli serve`: the verifying proxy as a long-running index for a team's or a CI
//! system's installers (pip, uv, poetry, pdm: `--index-url http://ADDR/simple/`).

use crate::install::SourceArgs;
use clap::Args;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tuf_interpose::Interposer;
use tuf_interpose::service::{self, ServiceOptions};

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Address to listen on (port 0: any free port; the address chosen is printed).
    #[arg(long, default_value = "127.0.0.1:3141")]
    listen: SocketAddr,
    /// Refresh the TUF metadata at least this often, in seconds (and whenever it expires
    /// sooner). Once it has expired and cannot be refreshed, nothing is served.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    refresh_interval: u64,
    /// After a failed refresh, try again after this many seconds.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    retry_interval: u64,
    /// Most client connections at once (further clients wait in the listen queue).
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    max_connections: u64,
    /// PEM certificate chain: serve over HTTPS (give the installers its CA, e.g. pip
    /// `--cert`, uv `SSL_CERT_FILE`), so that nobody between them and this index can alter
    /// what it verified.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// PEM private key of `--cert`.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
}

/// Resolves once SIGTERM or SIGINT (Ctrl-C) arrives. The SIGTERM handler is installed at
/// the call, before the address is printed, so that a prompt SIGTERM is never fatal.
pub fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `tuf-cli serve`.
pub async fn run(args: ServeArgs) -> Result<(), String> {
    let spec = args.source.spec()?;
    let tls = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            Some(tuf_repo::serve::tls_acceptor(cert, key).map_err(|e| e.to_string())?)
        }
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let interposer = Arc::new(
        Interposer::start_service(&spec)
            .await
            .map_err(|e| e.to_string())?,
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut options = ServiceOptions::default();
    options.refresh_interval = Duration::from_secs(args.refresh_interval);
    options.retry_interval = Duration::from_secs(args.retry_interval.min(args.refresh_interval));
    options.max_connections = usize::try_from(args.max_connections).unwrap_or(512);
    let stop = stop_signal();
    {
        // The first line says where: scripts and tests read it.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "tuf-cli serve: index {scheme}://{addr}/simple/ (metrics at {scheme}://{addr}/metrics)"
        );
        let _ = out.flush();
    }
    service::run(listener, tls, interposer, options, stop)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("tuf-cli serve: stopped");
    Ok(())
}
