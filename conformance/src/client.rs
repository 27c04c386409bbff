//! Drives a client executable through the public conformance protocol (`init`, `refresh`,
//! `download`; see the crate documentation), each step bounded in time, and reads back what
//! it trusts afterwards from its metadata directory.

use crate::SuiteError;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tuf_metadata::naming::{self, quote_all};

/// A client command line: a program and the arguments that come before the protocol's own.
///
/// ```
/// let c = conformance::client::ClientCmd::parse("python3 client.py").unwrap();
/// assert_eq!(c.program(), std::path::Path::new("python3"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCmd {
    program: PathBuf,
    args: Vec<String>,
}

impl ClientCmd {
    /// Splits a command on whitespace (no quoting: put a wrapper script in a path without
    /// spaces if the client needs more).
    pub fn parse(cmd: &str) -> Result<ClientCmd, SuiteError> {
        let mut words = cmd.split_whitespace().map(str::to_owned);
        let program = words
            .next()
            .ok_or_else(|| SuiteError::Client("empty client command".into()))?;
        Ok(ClientCmd {
            program: program.into(),
            args: words.collect(),
        })
    }

    /// A command that is just this program.
    pub fn program_only(program: &Path) -> ClientCmd {
        ClientCmd {
            program: program.to_owned(),
            args: Vec::new(),
        }
    }

    /// The program run.
    pub fn program(&self) -> &Path {
        &self.program
    }
}

/// How one protocol step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Exit status 0.
    Ok,
    /// Exit status 1.
    Failed,
    /// Any other exit status (or death by a signal): not a protocol answer.
    Crashed(Option<i32>),
    /// Still running when its time ran out; killed.
    Hung,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Ok => f.write_str("ok"),
            Step::Failed => f.write_str("refused"),
            Step::Crashed(Some(c)) => write!(f, "crashed (exit {c})"),
            Step::Crashed(None) => f.write_str("crashed (signal)"),
            Step::Hung => f.write_str("hung (killed)"),
        }
    }
}

/// One client installation: a metadata directory and a target directory of its own.
pub struct Client {
    cmd: ClientCmd,
    work: tempfile::TempDir,
    metadata_url: String,
    target_url: String,
    /// The time a step may take before it is killed and counted as [`Step::Hung`].
    pub step_timeout: Duration,
    last_stderr: std::sync::Mutex<String>,
}

impl Client {
    /// A client that will fetch metadata below `metadata_url` and targets below `target_url`
    /// (both ending with `/`).
    pub fn new(
        cmd: &ClientCmd,
        metadata_url: &str,
        target_url: &str,
    ) -> Result<Client, SuiteError> {
        let work = tempfile::tempdir()?;
        std::fs::create_dir_all(work.path().join("metadata"))?;
        std::fs::create_dir_all(work.path().join("targets"))?;
        Ok(Client {
            cmd: cmd.clone(),
            work,
            metadata_url: metadata_url.to_owned(),
            target_url: target_url.to_owned(),
            step_timeout: Duration::from_secs(60),
            last_stderr: std::sync::Mutex::new(String::new()),
        })
    }

    /// Points the client at other metadata or target URLs (a mirror switch).
    pub fn set_urls(&mut self, metadata_url: &str, target_url: &str) {
        self.metadata_url = metadata_url.to_owned();
        self.target_url = target_url.to_owned();
    }

    fn metadata_dir(&self) -> PathBuf {
        self.work.path().join("metadata")
    }

    /// The directory targets are downloaded into.
    pub fn target_dir(&self) -> PathBuf {
        self.work.path().join("targets")
    }

    /// The client's working directory (its metadata and target directories are inside).
    pub fn work_dir(&self) -> &Path {
        self.work.path()
    }

    async fn step(&self, args: Vec<String>) -> Result<(Step, Duration), SuiteError> {
        let started = Instant::now();
        let mut child = tokio::process::Command::new(&self.cmd.program)
            .args(&self.cmd.args)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| SuiteError::Client(format!("{}: {e}", self.cmd.program.display())))?;
        // The last line the client printed on stderr (bounded), to explain a wrong answer.
        let stderr = child.stderr.take().map(|mut e| {
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while let Ok(n) = e.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.len() > 64 * 1024 {
                        buf.drain(..buf.len() - 4096);
                    }
                }
                buf
            })
        });
        let waited = tokio::time::timeout(self.step_timeout, child.wait()).await;
        if waited.is_err() {
            let _ = child.kill().await;
        }
        if let Some(task) = stderr
            && let Ok(Ok(buf)) = tokio::time::timeout(Duration::from_secs(2), task).await
            && let Ok(mut last) = self.last_stderr.lock()
        {
            let text = String::from_utf8_lossy(&buf);
            *last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .chars()
                .take(300)
                .collect();
        }
        let step = match waited {
            Ok(Ok(status)) => match status.code() {
                Some(0) => Step::Ok,
                Some(1) => Step::Failed,
                other => Step::Crashed(other),
            },
            Ok(Err(e)) => return Err(SuiteError::Client(e.to_string())),
            Err(_) => Step::Hung,
        };
        Ok((step, started.elapsed()))
    }

    fn dir_arg(&self) -> Vec<String> {
        vec![
            "--metadata-dir".into(),
            self.metadata_dir().display().to_string(),
        ]
    }

    /// `init` with `root` as the trusted root.
    pub async fn init(&self, root: &[u8]) -> Result<Step, SuiteError> {
        let file = self.work.path().join("trusted-root.json");
        std::fs::write(&file, root)?;
        let mut args = self.dir_arg();
        args.extend(["init".into(), file.display().to_string()]);
        Ok(self.step(args).await?.0)
    }

    /// `refresh`.
    pub async fn refresh(&self) -> Result<Step, SuiteError> {
        let mut args = self.dir_arg();
        args.extend([
            "--metadata-url".into(),
            self.metadata_url.clone(),
            "refresh".into(),
        ]);
        Ok(self.step(args).await?.0)
    }

    /// `download` of `targets`, and how long it took.
    pub async fn download_timed(&self, targets: &[&str]) -> Result<(Step, Duration), SuiteError> {
        let mut args = self.dir_arg();
        args.extend(["--metadata-url".into(), self.metadata_url.clone()]);
        for t in targets {
            args.extend(["--target-name".into(), (*t).to_owned()]);
        }
        args.extend([
            "--target-base-url".into(),
            self.target_url.clone(),
            "--target-dir".into(),
            self.target_dir().display().to_string(),
            "download".into(),
        ]);
        self.step(args).await
    }

    /// `download` of `targets`.
    pub async fn download(&self, targets: &[&str]) -> Result<Step, SuiteError> {
        Ok(self.download_timed(targets).await?.0)
    }

    /// The last non-empty line the client wrote to stderr in its latest step.
    pub fn last_error(&self) -> String {
        self.last_stderr
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// The version of `role` the client trusts now (from `<metadata dir>/<role>.json`).
    pub fn trusted_version(&self, role: &str) -> Option<u64> {
        let bytes =
            std::fs::read(self.metadata_dir().join(naming::metadata_file(role, None))).ok()?;
        let value = tuf_metadata::json::parse(&bytes).ok()?;
        value
            .as_object()?
            .get("signed")?
            .as_object()?
            .get("version")?
            .as_u64()
    }

    /// The downloaded file of `target` (named as python-tuf names it: `quote(path, safe="")`).
    pub fn downloaded(&self, target: &str) -> Option<Vec<u8>> {
        std::fs::read(self.target_dir().join(quote_all(target))).ok()
    }

    /// Files the client wrote outside its metadata and target directories.
    pub fn stray_files(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![self.work.path().to_owned()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p == self.metadata_dir()
                    || p == self.target_dir()
                    || p.file_name().is_some_and(|n| n == "trusted-root.json")
                {
                    continue;
                }
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p.display().to_string());
                }
            }
        }
        out
    }
}
