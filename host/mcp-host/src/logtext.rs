//! Text that did not come from the host, made safe to put in a log line:
//! control characters (newlines, carriage returns, escape sequences) and the
//! invisible formatting characters that reorder or hide text are written as
//! `\n`, `\u{1b}`, …, and the text is cut to a size. A plugin or client can
//! then neither start a log line of its own (forging, say, an audit event)
//! nor make one line read as something else, in the text format or the JSON
//! one.

/// Marks text that was cut.
pub const CUT: &str = "…[cut]";

/// `text` with every character that could break or disguise a log line
/// escaped, at most `max_bytes` long (plus [`CUT`] when cut).
pub fn escaped(text: &str, max_bytes: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_bytes) + 8);
    for c in text.chars() {
        let before = out.len();
        if needs_escape(c) {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                other => out.extend(other.escape_unicode()),
            }
        } else {
            out.push(c);
        }
        if out.len() > max_bytes {
            out.truncate(before);
            out.push_str(CUT);
            break;
        }
    }
    out
}

/// Control characters (C0, DEL, C1), line and paragraph separators, and the
/// bidirectional and zero-width formatting characters.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{2028}' | '\u{2029}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newline_cannot_start_a_line() {
        let forged =
            "ok\n2099-01-01T00:00:00Z INFO access.audit: {\"event_type\":\"FORGED\"}\r\x1b[2K";
        let e = escaped(forged, 4096);
        assert!(!e.contains(['\n', '\r', '\x1b']), "{e}");
        assert_eq!(
            e,
            "ok\\n2099-01-01T00:00:00Z INFO access.audit: {\"event_type\":\"FORGED\"}\\r\\u{1b}[2K"
        );
        assert_eq!(escaped("a\u{202E}b\u{2028}", 100), "a\\u{202e}b\\u{2028}");
        assert_eq!(
            escaped("plain text, é and 日本", 100),
            "plain text, é and 日本"
        );
    }

    #[test]
    fn long_text_is_cut_at_a_character_boundary() {
        let e = escaped(&"é".repeat(100), 11);
        assert_eq!(e, format!("{}{CUT}", "é".repeat(5)));
        let e = escaped(&"\n".repeat(100), 5);
        assert_eq!(e, format!("\\n\\n{CUT}"));
    }
}
