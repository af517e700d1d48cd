//! Column widths on the printer and line wrapping.

/// The columns a character takes on a printer in Chinese mode: 1 for ASCII,
/// 2 for anything else (every non-ASCII character is a multi-byte GB18030
/// character, printed full width), 0 for control characters.
pub fn char_columns(c: char) -> usize {
    if c.is_control() {
        0
    } else if c.is_ascii() {
        1
    } else {
        2
    }
}

/// The columns `text` takes (see [`char_columns`]).
pub fn text_columns(text: &str) -> usize {
    text.chars().map(char_columns).sum()
}

/// Splits `text` into lines of at most `columns` columns (CJK characters
/// count 2, see [`char_columns`]).
///
/// Breaks at each `\n`; otherwise between any two CJK characters, and in
/// Latin text at a space (which is dropped) unless a word is longer than a
/// whole line. A character wider than `columns` gets a line of its own.
/// An empty text is one empty line; `columns` 0 counts as 1.
pub fn wrap(text: &str, columns: usize) -> Vec<String> {
    let columns = columns.max(1);
    text.split('\n')
        .flat_map(|part| wrap_after(part, columns, columns))
        .collect()
}

/// Wraps one paragraph (no `\n`) whose first line has only `first` columns
/// left. When `first` is less than `columns` (the line already holds
/// text), the first returned line may be empty: end the current line.
pub(crate) fn wrap_after(text: &str, first: usize, columns: usize) -> Vec<String> {
    let columns = columns.max(1);
    let first = first.min(columns);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut width = 0;
    let mut limit = first;
    for c in text.chars() {
        let w = char_columns(c);
        if c == ' ' && current.is_empty() && !lines.is_empty() {
            continue; // no leading spaces on a continuation line
        }
        if width + w <= limit {
            current.push(c);
            width += w;
            continue;
        }
        // `c` does not fit: close this line. Ending the first line early
        // is meaningful when it had text before ours.
        let may_end_empty = lines.is_empty() && first < columns;
        let (head, tail) = split_before_word(&current, c, w, columns, may_end_empty);
        if !head.is_empty() || may_end_empty {
            lines.push(head.to_owned());
        }
        current = tail.to_owned();
        width = text_columns(&current);
        limit = columns;
        if c != ' ' || !current.is_empty() {
            current.push(c);
            width += w;
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// Where to break `line` before `next`: at the start of a Latin word still
/// in progress, so that it moves whole to the next line, or else right
/// here. Trailing spaces of the head are dropped.
fn split_before_word(
    line: &str,
    next: char,
    next_width: usize,
    columns: usize,
    may_end_empty: bool,
) -> (&str, &str) {
    if next.is_ascii_graphic() {
        let start = line
            .char_indices()
            .rev()
            .find(|(_, c)| !c.is_ascii_graphic())
            .map_or(0, |(index, c)| index + c.len_utf8());
        let (head, tail) = line.split_at(start);
        let head = head.trim_end_matches(' ');
        let fits = text_columns(tail) + next_width <= columns;
        if !tail.is_empty() && fits && (!head.is_empty() || may_end_empty) {
            return (head, tail);
        }
    }
    (line.trim_end_matches(' '), "")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(text_columns("A012"), 4);
        assert_eq!(text_columns("请到3号窗口"), 11);
        assert_eq!(text_columns("𠀀"), 2);
        assert_eq!(text_columns("，"), 2);
        assert_eq!(char_columns('\u{1b}'), 0);
    }

    #[test]
    fn short_and_empty_text_is_one_line() {
        assert_eq!(wrap("", 32), [""]);
        assert_eq!(wrap("取号凭条", 32), ["取号凭条"]);
        assert_eq!(wrap("a\n\nb", 32), ["a", "", "b"]);
    }

    #[test]
    fn cjk_counts_two_columns() {
        assert_eq!(wrap("一二三四五", 4), ["一二", "三四", "五"]);
        // An odd width leaves the last column empty.
        assert_eq!(wrap("一二三四五", 5), ["一二", "三四", "五"]);
        assert_eq!(wrap("请到3号窗口", 5), ["请到3", "号窗", "口"]);
    }

    #[test]
    fn the_hall_ticket_line_wraps_at_32_columns() {
        let lines = wrap("办通政务服务中心 取号凭条 A012 请到3号窗口", 32);
        assert_eq!(lines, ["办通政务服务中心 取号凭条 A012", "请到3号窗口"]);
        assert!(lines.iter().all(|line| text_columns(line) <= 32));
    }

    #[test]
    fn latin_words_move_whole() {
        assert_eq!(
            wrap("Please go to window 3", 10),
            ["Please go", "to window", "3"]
        );
        assert_eq!(wrap("ab   cd", 3), ["ab", "cd"]);
        // A word after CJK text moves without needing a space.
        assert_eq!(wrap("窗口window", 8), ["窗口", "window"]);
        // Longer than a line: broken hard.
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn degenerate_widths() {
        assert_eq!(wrap("中文", 1), ["中", "文"]);
        assert_eq!(wrap("ab", 0), ["a", "b"]);
    }

    #[test]
    fn a_started_line_may_be_ended_first() {
        // 3 columns left on a line of 10: the word moves to the next line.
        assert_eq!(wrap_after("Zhang San", 3, 10), ["", "Zhang San"]);
        assert_eq!(wrap_after("张三", 3, 10), ["张", "三"]);
        assert_eq!(wrap_after("张三", 1, 10), ["", "张三"]);
        assert_eq!(wrap_after("", 3, 10), [""]);
    }
}
