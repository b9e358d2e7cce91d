//! Aligned plain-text tables for lists.

/// Renders `rows` under `headers`, each column as wide as its widest cell.
pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
	let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
	for row in rows {
		for (i, cell) in row.iter().enumerate() {
			if let Some(width) = widths.get_mut(i) {
				*width = (*width).max(cell.chars().count());
			}
		}
	}
	let line = |cells: Vec<&str>| {
		let padded: Vec<String> =
			cells.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
		padded.join("  ").trim_end().to_owned()
	};
	let mut out = vec![line(headers.to_vec())];
	out.push(line(
		widths
			.iter()
			.map(|w| "-".repeat(*w))
			.collect::<Vec<_>>()
			.iter()
			.map(String::as_str)
			.collect(),
	));
	for row in rows {
		out.push(line(row.iter().map(String::as_str).collect()));
	}
	out.join("\n")
}

#[cfg(test)]
mod tests {
	#[test]
	fn columns_line_up() {
		let rows = vec![vec!["0".into(), "greeter".into()], vec!["12".into(), "x".into()]];
		assert_eq!(
			super::render(&["ID", "NAME"], &rows),
			"ID  NAME\n--  -------\n0   greeter\n12  x"
		);
	}
}
