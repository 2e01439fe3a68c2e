//! `flowc completions SHELL` and `flowc man [COMMAND]`: shell completion scripts and
//! man pages, generated from the same clap definitions that parse the command line, so
//! they never fall behind it.

use clap::CommandFactory;

use super::{Cli, Outcome, Printer};
use crate::Error;

/// Arguments of `flowc completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Install, for example:
  bash: flowc completions bash > ~/.local/share/bash-completion/completions/flowc
  zsh:  flowc completions zsh > \"${fpath[1]}/_flowc\"
  fish: flowc completions fish > ~/.config/fish/completions/flowc.fish")]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// Arguments of `flowc man`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Read it with, for example: flowc man | man -l -
Install it with: flowc man > ~/.local/share/man/man1/flowc.1 (and flowc man check > …/flowc-check.1)")]
pub(crate) struct ManArgs {
    /// A command's own page (`flowc-check(1)`); the page of flowc itself when left out.
    #[arg(value_name = "COMMAND")]
    pub(crate) command: Option<String>,
}

/// Prints the completion script of `args.shell`.
pub(crate) fn completions(args: &CompletionsArgs, printer: &Printer) -> Outcome {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "flowc", &mut script);
    printer.out(&String::from_utf8_lossy(&script));
    Outcome::Clean
}

/// Prints the man page (roff) of flowc, or of one of its commands.
pub(crate) fn man(args: &ManArgs, printer: &Printer) -> Result<Outcome, Error> {
    let flowc = Cli::command();
    let page = match &args.command {
        None => flowc,
        Some(name) => {
            let Some(command) = flowc.find_subcommand(name) else {
                let names: Vec<&str> = flowc
                    .get_subcommands()
                    .map(clap::Command::get_name)
                    .filter(|n| *n != "help")
                    .collect();
                return Err(Error::Usage(format!(
                    "flowc has no command `{name}`; its commands: {}",
                    names.join(", ")
                )));
            };
            // Named as the page is installed, `flowc-check(1)`, like git's; its synopsis
            // is the command line, `flowc check …`.
            command
                .clone()
                .display_name(format!("flowc-{}", command.get_name()))
                .bin_name(format!("flowc {}", command.get_name()))
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .source(concat!("flowc ", env!("CARGO_PKG_VERSION")))
        .manual("flowc manual")
        .render(&mut roff)
        .map_err(|error| Error::Internal(format!("cannot render the man page: {error}")))?;
    printer.out(&String::from_utf8_lossy(&roff));
    Ok(Outcome::Clean)
}
