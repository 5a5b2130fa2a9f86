//! Load-time diagnostics: each error points at file:line:column and says what to do.

use std::fmt;
use std::ops::Range;

use toml::Spanned;

use crate::model::{ClosedSet, OneOf, UnknownValue};

/// A place in a mapping file (1-based line and column).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The location of a byte offset in `source`.
    pub fn at(file: &str, source: &str, offset: usize) -> Location {
        let offset = offset.min(source.len());
        let before = &source.as_bytes()[..offset];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map(|p| p + 1)
            .unwrap_or(0);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        Location {
            file: file.to_string(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One problem in a mapping file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub location: Location,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: error: {}", self.location, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// All the problems found while loading, reported together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// Collects diagnostics for one file.
pub(crate) struct Sink<'a> {
    pub file: &'a str,
    pub source: &'a str,
    pub out: &'a mut Vec<Diagnostic>,
}

impl<'a> Sink<'a> {
    pub fn new(file: &'a str, source: &'a str, out: &'a mut Vec<Diagnostic>) -> Sink<'a> {
        Sink { file, source, out }
    }

    pub fn loc(&self, span: &Range<usize>) -> Location {
        Location::at(self.file, self.source, span.start)
    }

    /// Reports a problem at `span`, with what to do about it.
    pub fn error(
        &mut self,
        span: &Range<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let location = self.loc(span);
        self.out.push(Diagnostic {
            location,
            message: message.into(),
            hint: Some(hint.into()),
        });
    }

    /// Reports a value outside its closed set at `span`, with the accepted values.
    pub fn unknown<T>(&mut self, span: &Range<usize>, e: &UnknownValue) -> Option<T> {
        self.error(span, format!("unknown {} `{}`", e.what, e.value), e.hint());
        None
    }

    /// The value of a closed set, or a located diagnostic with the accepted values.
    pub fn closed<T: ClosedSet>(&mut self, v: &Spanned<OneOf<T>>) -> Option<T> {
        match v.get_ref().known() {
            Ok(t) => Some(t),
            Err(e) => self.unknown(&v.span(), &e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(Location::at("f", src, 0).line, 1);
        let l = Location::at("f", src, src.find('=').unwrap());
        assert_eq!((l.line, l.column), (1, 3));
        let l = Location::at("f", src, src.rfind('=').unwrap());
        assert_eq!((l.line, l.column), (2, 4));
    }
}
