//! What a packager installs beside the binary, generated from the command-line definition
//! itself so that it never falls behind: shell completions and the manual pages.

use clap::{Args, CommandFactory, ValueEnum};

/// A shell to complete `tuf-cli` in.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    /// bash (`tuf-cli completions bash > /etc/bash_completion.d/tuf-cli`).
    Bash,
    /// zsh (`tuf-cli completions zsh > "${fpath[1]}/_tuf-cli"`).
    Zsh,
    /// fish (`tuf-cli completions fish > ~/.config/fish/completions/tuf-cli.fish`).
    Fish,
}

/// `tuf-cli completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    shell: Shell,
}

/// `tuf-cli man [SUBCOMMAND]`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (`repo`, `install`, ...); the main page without.
    subcommand: Option<String>,
}

/// The completion script for `args.shell`, as bytes.
pub fn completions(args: &CompletionsArgs) -> Vec<u8> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut public_command(), "tuf-cli", &mut out);
    if matches!(args.shell, Shell::Bash) {
        // clap_complete 4.6 names the functions of a hyphenated binary's nested subcommands
        // `tuf__subcmd__cli__...` in one place and `tuf__cli__...` in the other, so nothing
        // below the first level completed: one spelling for both (tested with bash).
        out = String::from_utf8_lossy(&out)
            .replace("tuf__subcmd__cli__", "tuf__cli__")
            .into_bytes();
    }
    out
}

/// `tuf-cli`'s command-line definition without its hidden (internal) subcommands, which the
/// completion generators would otherwise offer.
fn public_command() -> clap::Command {
    let full = crate::Cli::command();
    let mut cmd = clap::Command::new("tuf-cli")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .arg_required_else_help(true);
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    for arg in full.get_arguments() {
        cmd = cmd.arg(arg.clone());
    }
    cmd.subcommands(full.get_subcommands().filter(|c| !c.is_hide_set()).cloned())
}

/// The manual page (roff) of `tuf-cli`, or of one of its subcommands as `tuf-cli-NAME(1)`.
pub fn man_page(args: &ManArgs) -> Result<Vec<u8>, String> {
    let top = crate::Cli::command();
    let cmd = match &args.subcommand {
        None => top,
        Some(name) => {
            let sub = top
                .get_subcommands()
                .find(|c| c.get_name() == name && !c.is_hide_set())
                .ok_or_else(|| format!("no subcommand {name:?} (see tuf-cli --help)"))?;
            let full = format!("tuf-cli-{name}");
            sub.clone()
                .name(full.clone())
                .bin_name(full)
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| format!("cannot render the manual page: {e}"))?;
    Ok(out)
}
