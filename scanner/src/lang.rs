//! The languages the scanner tells apart, from file names and Markdown fence info strings.

use std::path::Path;

/// A language the scanner understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Ruby,
    Go,
    Php,
    Java,
    Kotlin,
    CSharp,
    Bash,
    Rust,
    Yaml,
    Json,
    Markdown,
    Text,
}

impl Lang {
    /// The language of a file, from its name.
    pub fn for_path(path: &Path) -> Lang {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        match ext {
            "py" | "pyi" | "pyw" => Lang::Python,
            "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
            "ts" | "mts" | "cts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "rb" | "rake" | "gemspec" | "ru" => Lang::Ruby,
            "go" => Lang::Go,
            "php" | "phtml" | "inc" => Lang::Php,
            "java" => Lang::Java,
            "kt" | "kts" => Lang::Kotlin,
            "cs" | "csx" => Lang::CSharp,
            "sh" | "bash" | "zsh" | "ksh" | "bats" => Lang::Bash,
            "rs" => Lang::Rust,
            "yaml" | "yml" | "raml" => Lang::Yaml,
            "json" | "jsonc" | "json5" | "har" => Lang::Json,
            "md" | "markdown" | "mdx" => Lang::Markdown,
            _ => match name.as_str() {
                "gemfile" | "rakefile" | "podfile" | "fastfile" => Lang::Ruby,
                _ => Lang::Text,
            },
        }
    }

    /// The language named by a Markdown fence info string.
    pub fn for_fence(info: &str) -> Lang {
        let tag = info
            .trim()
            .trim_start_matches('{')
            .split(|c: char| c.is_whitespace() || c == ',' || c == '}')
            .next()
            .unwrap_or("")
            .trim_start_matches('.')
            .to_ascii_lowercase();
        match tag.as_str() {
            "py" | "python" | "python3" => Lang::Python,
            "js" | "javascript" | "node" | "jsx" | "mjs" => Lang::JavaScript,
            "ts" | "typescript" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "rb" | "ruby" => Lang::Ruby,
            "go" | "golang" => Lang::Go,
            "php" => Lang::Php,
            "java" => Lang::Java,
            "kt" | "kotlin" => Lang::Kotlin,
            "cs" | "csharp" | "c#" => Lang::CSharp,
            "rs" | "rust" => Lang::Rust,
            "yaml" | "yml" | "raml" => Lang::Yaml,
            "json" => Lang::Json,
            "" | "sh" | "bash" | "shell" | "zsh" | "console" | "curl" | "shell-session"
            | "terminal" => Lang::Bash,
            _ => Lang::Text,
        }
    }
}
