//! Progress bars for long conversions, plays and records: shown on an interactive terminal,
//! silent in CI and pipes (so logs stay readable).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// A bar over `len` items (0: a spinner), or a hidden one when nobody watches.
pub fn bar(len: u64, what: &str) -> ProgressBar {
    let interactive = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    if !interactive {
        return ProgressBar::hidden();
    }
    let bar = if len == 0 { ProgressBar::new_spinner() } else { ProgressBar::new(len) };
    let template = if len == 0 {
        "{spinner} {msg} {pos} [{elapsed_precise}]"
    } else {
        "{msg} [{bar:40}] {pos}/{len} [{elapsed_precise} < {eta}]"
    };
    bar.set_style(
        ProgressStyle::with_template(template).expect("static template").progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}
