//! The oversight report as a PDF: A4 pages of text in the standard Helvetica
//! (one of the fonts every PDF reader has, so nothing is embedded), one block
//! per row of the report with a bar for each share. Written with pdf-writer.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::{METRICS, Report, Row, THRESHOLD, Unit, display};

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const LINE: f32 = 13.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// Text as WinAnsi bytes (what the standard fonts read): Latin-1 as it is, a
/// few common signs mapped, anything else as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '\u{2014}' => 0x97,
            '\u{2013}' => 0x96,
            '\u{2019}' => 0x92,
            '\u{2022}' => 0x95,
            _ => b'?',
        })
        .collect()
}

/// One page being written.
struct PageContent {
    content: Content,
    y: f32,
}

impl PageContent {
    fn new() -> Self {
        Self { content: Content::new(), y: HEIGHT - MARGIN }
    }

    fn text(&mut self, font: Name<'static>, size: f32, x: f32, text: &str) {
        self.content.begin_text();
        self.content.set_font(font, size);
        self.content.next_line(x, self.y);
        self.content.show(Str(&win_ansi(text)));
        self.content.end_text();
    }

    fn bar(&mut self, x: f32, width: f32, share: f64) {
        let full = width;
        self.content.set_fill_rgb(0.9, 0.9, 0.9);
        self.content.rect(x, self.y - 1.0, full, 8.0);
        self.content.fill_nonzero();
        self.content.set_fill_rgb(0.11, 0.42, 0.66);
        self.content.rect(x, self.y - 1.0, full * share.clamp(0.0, 1.0) as f32, 8.0);
        self.content.fill_nonzero();
        self.content.set_fill_rgb(0.0, 0.0, 0.0);
    }
}

fn row_title(row: &Row) -> String {
    match &row.cohort {
        Some(cohort) => format!("Started {cohort} \u{2014} {}", row.site),
        None => format!("Whole period \u{2014} {}", row.site),
    }
}

/// The report's PDF bytes.
pub fn render(report: &Report) -> Vec<u8> {
    let mut pages: Vec<PageContent> = Vec::new();
    let mut current = PageContent::new();
    current.text(BOLD, 18.0, MARGIN, "Oversight report");
    current.y -= 22.0;
    current.text(
        REGULAR,
        10.0,
        MARGIN,
        &format!("People who started in post from {} to {}; judged on {}.", report.from, report.to, report.as_of),
    );
    current.y -= LINE;
    current.text(
        REGULAR,
        10.0,
        MARGIN,
        &format!(
            "Figures about fewer than {THRESHOLD} people are not shown (\"fewer than {THRESHOLD}\"). No text a pair wrote is included."
        ),
    );
    current.y -= LINE * 2.0;
    let block_height = LINE * (METRICS.len() as f32 + 2.5);
    for row in &report.rows {
        if current.y - block_height < MARGIN {
            pages.push(std::mem::replace(&mut current, PageContent::new()));
        }
        current.text(BOLD, 12.0, MARGIN, &row_title(row));
        current.y -= LINE * 1.2;
        for metric in METRICS {
            let Some(cell) = row.cells.get(metric.key) else { continue };
            current.text(REGULAR, 9.0, MARGIN + 8.0, metric.label);
            let shown = display(cell, metric.unit);
            current.text(REGULAR, 9.0, MARGIN + 250.0, &shown);
            if metric.unit == Unit::Share
                && let Some(value) = cell.value
            {
                current.bar(MARGIN + 380.0, 110.0, value);
            }
            current.y -= LINE;
            if !cell.reasons.is_empty() {
                let reasons: Vec<String> =
                    cell.reasons.iter().map(|r| format!("{} ({})", r.reason, r.sessions)).collect();
                current.text(REGULAR, 8.0, MARGIN + 16.0, &format!("Commonest reasons: {}", reasons.join("; ")));
                current.y -= LINE;
            }
        }
        current.y -= LINE;
    }
    pages.push(current);

    let mut pdf = Pdf::new();
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let regular_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let info_id = Ref::new(5);
    let mut next = 6;
    let mut page_ids = Vec::new();
    let mut content_ids = Vec::new();
    for _ in &pages {
        page_ids.push(Ref::new(next));
        content_ids.push(Ref::new(next + 1));
        next += 2;
    }
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id).kids(page_ids.iter().copied()).count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    pdf.type1_font(regular_id).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold_id).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info_id).title(TextStr("Oversight report")).producer(TextStr("Alongside"));
    for ((page_content, page_id), content_id) in pages.into_iter().zip(page_ids).zip(content_ids) {
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        page.parent(tree_id);
        page.contents(content_id);
        page.resources().fonts().pair(REGULAR, regular_id).pair(BOLD, bold_id);
        page.finish();
        pdf.stream(content_id, &page_content.content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::win_ansi;

    #[test]
    fn text_is_written_in_win_ansi() {
        assert_eq!(win_ansi("Café — ok"), vec![b'C', b'a', b'f', 0xe9, b' ', 0x97, b' ', b'o', b'k']);
        assert_eq!(win_ansi("日"), vec![b'?']);
    }
}
