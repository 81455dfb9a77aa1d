//! Tables on stdout (`ps`, `status` of several instances): columns padded to their widest
//! cell, and compact uptimes.

/// Lays out a table, header first: every cell but the last of a row padded to its column's
/// width, so that colouring a cell afterwards keeps the columns aligned. Cells are joined
/// with [`GAP`].
pub fn layout(header: &[&str], rows: &[Vec<String>]) -> Vec<Vec<String>> {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let last = header.len().saturating_sub(1);
    std::iter::once(header.iter().map(|h| h.to_string()).collect::<Vec<_>>())
        .chain(rows.iter().cloned())
        .map(|row| {
            row.into_iter()
                .enumerate()
                .map(|(i, cell)| {
                    if i == last {
                        cell
                    } else {
                        format!("{cell:<width$}", width = widths[i])
                    }
                })
                .collect()
        })
        .collect()
}

/// What separates the columns.
pub const GAP: &str = "  ";

/// A compact uptime for a table column: `42s`, `3m12s`, `2h05m`, `3d04h`.
pub fn uptime(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    if d > 0 {
        format!("{d}d{h:02}h")
    } else if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptimes_are_compact() {
        assert_eq!(uptime(42), "42s");
        assert_eq!(uptime(192), "3m12s");
        assert_eq!(uptime(2 * 3600 + 5 * 60 + 7), "2h05m");
        assert_eq!(uptime(3 * 86_400 + 4 * 3600), "3d04h");
    }

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let rows = vec![vec!["zinc".to_string(), "x".to_string()]];
        let table = layout(&["NAME", "STATE"], &rows);
        assert_eq!(table[0], ["NAME", "STATE"]);
        assert_eq!(table[1], ["zinc", "x"]);
        let rows = vec![vec!["seaside".to_string(), "running".to_string()]];
        assert_eq!(layout(&["NAME", "STATE"], &rows)[0][0], "NAME   ");
    }
}
