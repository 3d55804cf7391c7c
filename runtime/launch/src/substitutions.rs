//! Substitutions in attribute values, `$(NAME ARG...)`, nested, as the launch frontend writes
//! them (launch/frontend/grammar.lark): arguments are separated by spaces, may themselves hold
//! substitutions, and may be quoted with `'` or `"` to contain spaces. A `$` not followed by
//! `(` is plain text.
//!
//! Supported: `var NAME [DEFAULT]`, `env NAME [DEFAULT]`, `optenv NAME [DEFAULT]`,
//! `find-pkg-share PKG`, `dirname`, `filename`. Any other name is refused when the attribute is
//! read, even in a branch an `if` turns off, as `ros2 launch` refuses it while parsing.

use crate::errors::{ErrorReason, Problem};
use std::path::{Path, PathBuf};

/// One piece of a template: plain text or a substitution with its (template) arguments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    Text(String),
    Call { name: String, args: Vec<Vec<Part>> },
}

/// The names with their (min, max) argument counts.
const SUPPORTED: [(&str, usize, usize); 6] = [
    ("var", 1, 2),
    ("env", 1, 2),
    ("optenv", 1, 2),
    ("find-pkg-share", 1, 1),
    ("dirname", 0, 0),
    ("filename", 0, 0),
];

/// What evaluation needs from the reader: launch configurations, environment, packages, file.
pub(crate) trait Resolve {
    fn var(&self, name: &str) -> Option<String>;
    fn env(&self, name: &str) -> Option<String>;
    fn package_share(&self, package: &str) -> Result<PathBuf, Problem>;
    fn launch_file(&self) -> &Path;
}

/// Parses a whole attribute value.
pub(crate) fn parse(input: &str) -> Result<Vec<Part>, Problem> {
    let mut cursor = Cursor { text: input, pos: 0 };
    let parts = cursor.parts(|_| false)?;
    Ok(parts)
}

/// Evaluates a parsed template to its string.
pub(crate) fn evaluate(parts: &[Part], ctx: &dyn Resolve) -> Result<String, Problem> {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Call { name, args } => out.push_str(&call(name, args, ctx)?),
        }
    }
    Ok(out)
}

fn call(name: &str, args: &[Vec<Part>], ctx: &dyn Resolve) -> Result<String, Problem> {
    let arg = |i: usize| -> Result<Option<String>, Problem> {
        args.get(i).map(|a| evaluate(a, ctx)).transpose()
    };
    let first = arg(0)?.unwrap_or_default();
    match name {
        "var" => match (ctx.var(&first), arg(1)?) {
            (Some(value), _) | (None, Some(value)) => Ok(value),
            (None, None) => Err(Problem::new(
                ErrorReason::UndefinedArg,
                format!("$(var {first}): launch argument '{first}' is not defined"),
            )),
        },
        "env" => match (ctx.env(&first), arg(1)?) {
            (Some(value), _) | (None, Some(value)) => Ok(value),
            (None, None) => Err(Problem::new(
                ErrorReason::UndefinedEnv,
                format!("$(env {first}): environment variable '{first}' is not set"),
            )),
        },
        "optenv" => Ok(ctx.env(&first).or(arg(1)?).unwrap_or_default()),
        "find-pkg-share" => Ok(ctx.package_share(&first)?.to_string_lossy().into_owned()),
        "dirname" => {
            Ok(ctx.launch_file().parent().unwrap_or(Path::new("")).to_string_lossy().into_owned())
        }
        "filename" => Ok(ctx
            .launch_file()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()),
        // `parse` refuses every other name; kept as an error rather than a panic.
        other => Err(unsupported(other)),
    }
}

fn unsupported(name: &str) -> Problem {
    let names: Vec<&str> = SUPPORTED.iter().map(|(n, _, _)| *n).collect();
    Problem::new(
        ErrorReason::UnsupportedSubstitution,
        format!("substitution $({name} ...) is not supported (supported: {})", names.join(", ")),
    )
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Text and substitutions up to (not including) a char for which `stop` is true, or the end.
    fn parts(&mut self, stop: impl Fn(char) -> bool) -> Result<Vec<Part>, Problem> {
        let mut parts = Vec::new();
        let mut text = String::new();
        while let Some(c) = self.peek() {
            if stop(c) {
                break;
            }
            if self.rest().starts_with("$(") {
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(self.call()?);
            } else {
                text.push(c);
                self.bump();
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(parts)
    }

    /// `$(NAME ARG ...)`, the cursor on the `$`.
    fn call(&mut self) -> Result<Part, Problem> {
        let start = self.pos;
        self.pos += 2;
        let name_len = self
            .rest()
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_ascii_alphabetic()
                    || (i > 0 && (c.is_ascii_digit() || c == '_' || c == '-')))
            })
            .map_or(self.rest().len(), |(i, _)| i);
        let name = self.rest().get(..name_len).unwrap_or("").to_string();
        self.pos += name_len;
        let bad = |msg: &str| {
            Problem::new(
                ErrorReason::BadSubstitution,
                format!(
                    "{msg} in substitution starting '{}'",
                    self.text.get(start..).unwrap_or("")
                ),
            )
        };
        if name.is_empty() {
            return Err(bad("no name after '$('"));
        }
        if self.peek().is_some_and(|c| !(c.is_whitespace() || c == ')')) {
            return Err(bad("expected a space or ')' after the name"));
        }
        let mut args = Vec::new();
        loop {
            match self.peek() {
                None => return Err(bad("no closing ')'")),
                Some(')') => {
                    self.bump();
                    break;
                }
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some(quote @ ('\'' | '"')) => {
                    self.bump();
                    args.push(self.parts(|c| c == quote)?);
                    if self.bump() != Some(quote) {
                        return Err(bad("unterminated quote"));
                    }
                }
                Some(_) => args.push(self.parts(|c| c.is_whitespace() || c == ')')?),
            }
        }
        let Some(&(_, min, max)) = SUPPORTED.iter().find(|(n, _, _)| *n == name) else {
            return Err(unsupported(&name));
        };
        if args.len() < min || args.len() > max {
            return Err(Problem::new(
                ErrorReason::BadSubstitution,
                format!("$({name}) takes {min} to {max} argument(s), got {}", args.len()),
            ));
        }
        Ok(Part::Call { name, args })
    }
}
