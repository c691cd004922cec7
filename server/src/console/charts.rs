//! Charts drawn on the server as SVG with plotters (its SVG backend only).
//!
//! Without the `ttf` feature plotters estimates text extents and writes labels as
//! SVG `<text>`, so the server needs no system fonts and the browser draws the
//! labels in its own sans-serif. Labels are dates and numbers only; the charts
//! carry nothing a pair wrote.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use time::macros::format_description;
use time::{Date, Duration};

use super::progress::{PairingSummary, WeekCount};
use super::queries::SessionRow;
use crate::domain::programme::{self, TouchpointState};
use crate::error::ApiError;
use crate::model::Day;

const SHADOWING: RGBColor = RGBColor(0x1b, 0x6c, 0xa8);
const MEETING: RGBColor = RGBColor(0xc2, 0x6a, 0x00);
const CHECK_IN: RGBColor = RGBColor(0x3d, 0x7d, 0x2a);
const MET: RGBColor = RGBColor(0x2e, 0x7d, 0x32);
const DUE: RGBColor = RGBColor(0xb2, 0x6a, 0x00);
const OVERDUE: RGBColor = RGBColor(0xc6, 0x28, 0x28);
const UPCOMING: RGBColor = RGBColor(0x75, 0x75, 0x75);
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const FONT: &str = "sans-serif";

fn failed(error: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("drawing a chart failed: {error}"))
}

fn short_date(date: Date) -> String {
    date.format(format_description!("[day padding:none] [month repr:short]")).unwrap_or_else(|_| date.to_string())
}

/// One layer of the weekly bars: its name, colour and count.
type Stack = (&'static str, RGBColor, fn(&WeekCount) -> u32);

/// Stacked bars of logged sessions per week, by kind.
pub fn sessions_per_week(weeks: &[WeekCount]) -> Result<String, ApiError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let count = u32::try_from(weeks.len()).unwrap_or(u32::MAX).max(1);
        let highest = weeks.iter().map(WeekCount::total).max().unwrap_or(0);
        // Headroom above the tallest bar keeps the legend clear of the bars.
        let y_max = (highest + highest / 2 + 2).max(5);
        let mut chart = ChartBuilder::on(&root)
            .caption("Sessions logged per week", (FONT, 18).into_font().color(&INK))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d((0u32..count).into_segmented(), 0u32..y_max)
            .map_err(failed)?;
        let label = |value: &SegmentValue<u32>| match value {
            // Every other week, so labels never collide at this width.
            SegmentValue::CenterOf(index) if index % 2 == weeks.len().saturating_sub(1) as u32 % 2 => {
                weeks.get(*index as usize).and_then(|w| w.monday).map(short_date).unwrap_or_default()
            }
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(weeks.len().max(1))
            .x_label_formatter(&label)
            .y_desc("Sessions")
            .x_desc("Week beginning")
            .label_style((FONT, 12).into_font().color(&INK))
            .light_line_style(RGBColor(0xe6, 0xe6, 0xe6))
            .draw()
            .map_err(failed)?;

        let kinds: [Stack; 3] = [
            ("Shadowing", SHADOWING, |w| w.shadowing),
            ("Meeting", MEETING, |w| w.meeting),
            ("Check-in", CHECK_IN, |w| w.check_in),
        ];
        for (kind_index, (name, colour, pick)) in kinds.iter().enumerate() {
            let bars = weeks.iter().enumerate().filter_map(|(index, week)| {
                let value = pick(week);
                if value == 0 {
                    return None;
                }
                let base: u32 = kinds[..kind_index].iter().map(|(_, _, below)| below(week)).sum();
                let index = u32::try_from(index).ok()?;
                let mut bar = Rectangle::new(
                    [(SegmentValue::Exact(index), base), (SegmentValue::Exact(index + 1), base + value)],
                    colour.filled(),
                );
                bar.set_margin(0, 0, 6, 6);
                Some(bar)
            });
            let colour = *colour;
            chart
                .draw_series(bars)
                .map_err(failed)?
                .label(*name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 12).into_font().color(&INK))
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(0xbb, 0xbb, 0xbb))
            .draw()
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// One horizon of the retention chart: its label and the shares still in
/// post, mentored and not (`None`: suppressed or nothing to measure).
pub struct RetentionBar {
    pub label: &'static str,
    pub mentored: Option<f64>,
    pub not_mentored: Option<f64>,
}

/// One series of the retention chart: name, colour, the share it shows, and
/// its side of the pair (0 left, 1 right).
type RetentionLayer = (&'static str, RGBColor, fn(&RetentionBar) -> Option<f64>, u32);

/// Grouped bars: the share of starters still in post at each horizon,
/// mentored beside not mentored. A suppressed figure draws no bar.
pub fn retention(bars: &[RetentionBar]) -> Result<String, ApiError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let count = u32::try_from(bars.len()).unwrap_or(u32::MAX).max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption("Still in post (whole period, all sites)", (FONT, 18).into_font().color(&INK))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d((0u32..count).into_segmented(), 0u32..120u32)
            .map_err(failed)?;
        let label = |value: &SegmentValue<u32>| match value {
            SegmentValue::CenterOf(index) => bars.get(*index as usize).map(|b| b.label.to_owned()).unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(bars.len().max(1))
            .x_label_formatter(&label)
            .y_desc("Per cent")
            .y_label_formatter(&|v: &u32| if *v <= 100 { v.to_string() } else { String::new() })
            .label_style((FONT, 12).into_font().color(&INK))
            .light_line_style(RGBColor(0xe6, 0xe6, 0xe6))
            .draw()
            .map_err(failed)?;
        let groups: [RetentionLayer; 2] =
            [("Mentored", SHADOWING, |b| b.mentored, 0), ("Not mentored", UPCOMING, |b| b.not_mentored, 1)];
        for (name, colour, pick, side) in groups {
            let rects = bars.iter().enumerate().filter_map(|(index, bar)| {
                let percent = (pick(bar)? * 100.0).round().clamp(0.0, 100.0) as u32;
                let index = u32::try_from(index).ok()?;
                let mut rect = Rectangle::new(
                    [(SegmentValue::Exact(index), 0), (SegmentValue::Exact(index + 1), percent)],
                    colour.filled(),
                );
                // Two bars share a segment: the mentored one on the left.
                if side == 0 {
                    rect.set_margin(0, 0, 30, 120);
                } else {
                    rect.set_margin(0, 0, 120, 30);
                }
                Some(rect)
            });
            chart
                .draw_series(rects)
                .map_err(failed)?
                .label(name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, 12).into_font().color(&INK))
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(0xbb, 0xbb, 0xbb))
            .draw()
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// Rows of the timeline, bottom to top (a discrete `0..3` axis holds 0 to 3).
const ROWS: [&str; 4] = ["Check-in", "Meeting", "Shadowing", "Touchpoints"];

fn row_of(kind: Option<&str>) -> i32 {
    match kind {
        Some("meeting") => 1,
        Some("shadowing") => 2,
        _ => 0,
    }
}

fn touchpoint_colour(state: TouchpointState) -> RGBColor {
    match state {
        TouchpointState::Met => MET,
        TouchpointState::MetLate | TouchpointState::Due => DUE,
        TouchpointState::Overdue => OVERDUE,
        TouchpointState::Upcoming => UPCOMING,
    }
}

/// A pairing's sessions (by kind; filled when signed by both, hollow while
/// awaiting sign-off) and touchpoints (their windows, coloured by state) against
/// the days of the programme, with today marked.
pub fn timeline(summary: &PairingSummary, sessions: &[SessionRow], today: Date) -> Result<String, ApiError> {
    let start = summary.started_on.unwrap_or(today);
    let day = |date: Date| i32::try_from((date - start).whole_days()).unwrap_or(0);
    let mut last = day(today).max(summary.rules.induction_weeks.saturating_mul(7).try_into().unwrap_or(84));
    for touchpoint in &summary.touchpoints {
        last = last.max(day(touchpoint.window_end));
    }
    let dated: Vec<(Date, &SessionRow)> = sessions
        .iter()
        .filter_map(|s| s.session_date.as_deref().and_then(|t| t.parse::<Day>().ok()).map(|d| (d.date(), s)))
        .collect();
    for (date, _) in &dated {
        last = last.max(day(*date));
    }
    let first = dated.iter().map(|(d, _)| day(*d)).min().unwrap_or(0).min(0);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 230)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Sessions and touchpoints", (FONT, 18).into_font().color(&INK))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(96)
            .build_cartesian_2d((first - 3)..(last + 4), (0i32..3).into_segmented())
            .map_err(failed)?;
        let x_label = |offset: &i32| short_date(start + Duration::days(i64::from(*offset)));
        let y_label = |value: &SegmentValue<i32>| match value {
            SegmentValue::CenterOf(row) => ROWS.get(usize::try_from(*row).unwrap_or(0)).copied().unwrap_or("").into(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_labels(8)
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .label_style((FONT, 12).into_font().color(&INK))
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .draw()
            .map_err(failed)?;

        chart
            .draw_series(summary.touchpoints.iter().map(|t| {
                let mut band = Rectangle::new(
                    [(day(t.window_start), SegmentValue::Exact(3)), (day(t.window_end) + 1, SegmentValue::Last)],
                    touchpoint_colour(t.state).mix(0.25).filled(),
                );
                band.set_margin(8, 8, 0, 0);
                band
            }))
            .map_err(failed)?;
        chart
            .draw_series(summary.touchpoints.iter().map(|t| {
                TriangleMarker::new((day(t.day), SegmentValue::CenterOf(3)), 7, touchpoint_colour(t.state).filled())
            }))
            .map_err(failed)?;
        // Sessions that happened; a planned one is a small grey ring; cancelled and
        // missed ones are listed in the table, not drawn.
        chart
            .draw_series(dated.iter().filter(|(_, s)| programme::is_planned(&s.status)).map(|(date, s)| {
                Circle::new(
                    (day(*date), SegmentValue::CenterOf(row_of(s.kind.as_deref()))),
                    4,
                    UPCOMING.stroke_width(2),
                )
            }))
            .map_err(failed)?;
        chart
            .draw_series(dated.iter().filter(|(_, s)| programme::is_contact(&s.status)).map(|(date, s)| {
                let colour = match row_of(s.kind.as_deref()) {
                    1 => MEETING,
                    2 => SHADOWING,
                    _ => CHECK_IN,
                };
                let signed = s.mentor_signed && s.mentee_signed;
                let style = if signed { colour.filled() } else { colour.stroke_width(2) };
                Circle::new((day(*date), SegmentValue::CenterOf(row_of(s.kind.as_deref()))), 6, style)
            }))
            .map_err(failed)?;
        chart
            .draw_series(dated.iter().filter(|(_, s)| s.amended_after_sign_off).map(|(date, s)| {
                Cross::new((day(*date), SegmentValue::CenterOf(row_of(s.kind.as_deref()))), 4, OVERDUE.stroke_width(2))
            }))
            .map_err(failed)?;
        let today_x = day(today);
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                [(today_x, SegmentValue::Exact(0)), (today_x, SegmentValue::Last)],
                4,
                3,
                INK.stroke_width(1),
            )))
            .map_err(failed)?;
        chart
            .draw_series(std::iter::once(Text::new(
                "today",
                (today_x + 1, SegmentValue::Last),
                (FONT, 12).into_font().color(&INK),
            )))
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn weekly_chart_is_svg_with_text_labels_even_when_empty() {
        let empty = sessions_per_week(&[]).unwrap_or_default();
        assert!(empty.starts_with("<svg") && empty.contains("<text"), "{empty}");
        let weeks = vec![
            WeekCount { monday: Some(date!(2026 - 03 - 02)), shadowing: 2, meeting: 1, check_in: 0 },
            WeekCount { monday: Some(date!(2026 - 03 - 09)), shadowing: 0, meeting: 0, check_in: 3 },
        ];
        let svg = sessions_per_week(&weeks).unwrap_or_default();
        assert!(svg.contains("Sessions logged per week"));
        assert!(svg.contains("9 Mar"), "week labels are dates: {svg}");
        assert!(svg.contains("Shadowing") && svg.contains("Check-in"), "legend");
        assert!(!svg.contains("style="), "presentation attributes only, so the page's CSP needs no inline styles");
    }
}
