//! Server-rendered, accessible SVG charts for the manager dashboard.
//!
//! Pure functions from data to markup: no database, no web framework, no JavaScript.
//! Every chart is an `<svg>` named by its own `<title>` and described by its `<desc>` (an
//! image, or a graphics document when its marks are links, see `open_svg`), has a
//! visible title, labelled axes with "nice" 1-2-5 ticks, value labels, a legend when there
//! is more than one series, and the Okabe–Ito colour-blind-safe palette. It sizes by
//! `viewBox` (width 100%), inherits the page font, and carries `chart-*` CSS classes so
//! print styles can adjust it. Each bar, segment or point links to the list behind it when
//! the caller gives hrefs. [`data_table`] renders the same numbers as an HTML table for the
//! "data table one click away" (wrapping it in `<details>` is the page's job).

use std::fmt::Write;

/// Formats a value for labels, ticks and tables (money, percentages, counts...).
pub type ValueFormat = fn(f64) -> String;

/// Okabe–Ito palette, ordered so that the first colours are the most distinct on white.
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
];

/// Text colour readable on top of the palette colour with the same index.
const ON_PALETTE: [&str; 8] = [
    "#ffffff", "#000000", "#ffffff", "#ffffff", "#000000", "#000000", "#000000", "#ffffff",
];

const EMPTY_MESSAGE: &str = "No data for this range";
const WIDTH: f64 = 640.0;
const FONT: f64 = 12.0;
const SMALL_FONT: f64 = 11.0;

/// One named series of values, one value per category, with optional links
/// (one href per value) to the filtered list behind each number.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
    pub hrefs: Option<Vec<String>>,
}

impl Series {
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            values,
            hrefs: None,
        }
    }

    /// Links each value to the list behind it (same order as `values`).
    pub fn with_hrefs(mut self, hrefs: Vec<String>) -> Self {
        self.hrefs = Some(hrefs);
        self
    }

    /// The value for category `i`; missing, negative or non-finite values count as zero.
    fn value(&self, i: usize) -> f64 {
        clean(self.values.get(i).copied().unwrap_or(0.0))
    }

    fn href(&self, i: usize) -> Option<&str> {
        self.hrefs
            .as_ref()
            .and_then(|h| h.get(i))
            .map(String::as_str)
            .filter(|h| !h.is_empty())
    }
}

/// A chart over categories: used by [`bar_chart`], [`horizontal_bars`] and [`line_chart`].
#[derive(Debug, Clone)]
pub struct Chart {
    /// Unique on the page: the prefix of the `<title>`/`<desc>` ids. Derived from the
    /// title when empty.
    pub id: String,
    pub title: String,
    /// Axis title for the categories (x for vertical bars and lines, y for horizontal bars).
    pub category_label: String,
    /// Axis title for the values.
    pub value_label: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// Stack the series instead of grouping them side by side (bars only).
    pub stacked: bool,
    /// Formats values, ticks and table cells; defaults to [`format_number`].
    pub value_format: ValueFormat,
}

/// Spec of a vertical or horizontal bar chart.
pub type BarChart = Chart;
/// Spec of a line chart (`stacked` is ignored).
pub type LineChart = Chart;

impl Default for Chart {
    fn default() -> Self {
        Self {
            id: String::new(),
            title: String::new(),
            category_label: String::new(),
            value_label: String::new(),
            categories: Vec::new(),
            series: Vec::new(),
            stacked: false,
            value_format: format_number,
        }
    }
}

impl Chart {
    pub fn new(
        title: impl Into<String>,
        category_label: impl Into<String>,
        value_label: impl Into<String>,
        categories: Vec<String>,
        series: Vec<Series>,
    ) -> Self {
        Self {
            title: title.into(),
            category_label: category_label.into(),
            value_label: value_label.into(),
            categories,
            series,
            ..Self::default()
        }
    }

    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    pub fn stacked(mut self) -> Self {
        self.stacked = true;
        self
    }

    pub fn with_format(mut self, value_format: ValueFormat) -> Self {
        self.value_format = value_format;
        self
    }

    /// The chart's numbers as an HTML table (with a total column when stacked).
    pub fn data_table(&self) -> String {
        table(
            &self.title,
            &self.category_label,
            &self.categories,
            &self.series,
            self.value_format,
            self.stacked && self.series.len() > 1,
        )
    }

    fn is_empty(&self) -> bool {
        self.categories.is_empty() || self.series.is_empty()
    }

    fn total(&self, i: usize) -> f64 {
        self.series.iter().map(|s| s.value(i)).sum()
    }

    /// The top of the value scale: the largest stack or the largest single value.
    fn max_value(&self, stacked: bool) -> f64 {
        (0..self.categories.len())
            .map(|i| {
                if stacked {
                    self.total(i)
                } else {
                    self.series.iter().map(|s| s.value(i)).fold(0.0, f64::max)
                }
            })
            .fold(0.0, f64::max)
    }

    /// Whether any mark links to the list behind it.
    fn is_linked(&self) -> bool {
        self.series
            .iter()
            .any(|s| (0..self.categories.len()).any(|i| s.href(i).is_some()))
    }

    fn element_id(&self) -> String {
        slug(if self.id.is_empty() {
            &self.title
        } else {
            &self.id
        })
    }

    /// One sentence for `<desc>`: what is charted and where the largest value is.
    fn summary(&self, kind: &str, stacked: bool) -> String {
        let fmt = self.value_format;
        let mut s = format!(
            "{kind} of {} by {}, {} {}",
            self.value_label.to_lowercase(),
            self.category_label.to_lowercase(),
            self.categories.len(),
            plural(self.categories.len(), "category", "categories"),
        );
        if self.series.len() > 1 {
            let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
            let _ = write!(s, ", series {}", names.join(", "));
        }
        if self.max_value(stacked) <= 0.0 {
            s.push_str("; all values are zero.");
            return s;
        }
        if stacked && self.series.len() > 1 {
            let (i, v) = argmax((0..self.categories.len()).map(|i| self.total(i)));
            let _ = write!(
                s,
                "; the largest total is {} at {}.",
                self.categories[i],
                fmt(v)
            );
        } else {
            let (k, (i, v)) = argmax_by(
                self.series
                    .iter()
                    .map(|s| argmax((0..self.categories.len()).map(|i| s.value(i)))),
            );
            let who = if self.series.len() > 1 {
                format!("{} for {}", self.series[k].name, self.categories[i])
            } else {
                self.categories[i].clone()
            };
            let _ = write!(s, "; the largest is {who} at {}.", fmt(v));
        }
        s
    }
}

/// Spec of a funnel: decreasing stages with step-to-step conversion rates.
#[derive(Debug, Clone)]
pub struct Funnel {
    pub id: String,
    pub title: String,
    /// (stage name, count, optional href to the list behind the count).
    pub stages: Vec<(String, f64, Option<String>)>,
    pub value_format: ValueFormat,
}

impl Funnel {
    pub fn new(title: impl Into<String>, stages: Vec<(String, f64, Option<String>)>) -> Self {
        Self {
            id: String::new(),
            title: title.into(),
            stages,
            value_format: format_number,
        }
    }

    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    pub fn with_format(mut self, value_format: ValueFormat) -> Self {
        self.value_format = value_format;
        self
    }

    /// Stage, count and conversion from the previous stage as an HTML table.
    pub fn data_table(&self) -> String {
        let mut out = String::from("<table class=\"table chart-data\">");
        let _ = write!(
            out,
            "<caption>{}</caption><thead><tr><th scope=\"col\">Stage</th>\
             <th scope=\"col\" class=\"num\">Count</th>\
             <th scope=\"col\" class=\"num\">Conversion from previous stage</th></tr></thead><tbody>",
            escape(&self.title)
        );
        if self.stages.is_empty() {
            let _ = write!(out, "<tr><td colspan=\"3\">{EMPTY_MESSAGE}</td></tr>");
        }
        for (i, (name, value, href)) in self.stages.iter().enumerate() {
            let rate = if i == 0 {
                String::new()
            } else {
                conversion(self.stages[i - 1].1, *value)
            };
            let _ = write!(
                out,
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(name),
                linked_text(href.as_deref(), &(self.value_format)(clean(*value))),
                rate
            );
        }
        out.push_str("</tbody></table>");
        out
    }
}

// ---------------------------------------------------------------------------------------
// Formatting helpers
// ---------------------------------------------------------------------------------------

/// Escapes text for XML/HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Integers with thousands separators (`1,234`); fractions keep up to two decimals (`0.25`).
pub fn format_number(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let rounded = (v * 100.0).round() / 100.0;
    let negative = rounded < 0.0;
    let abs = rounded.abs();
    let whole = abs.trunc() as u64;
    let cents = ((abs - abs.trunc()) * 100.0).round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if cents > 0 {
        let frac = format!("{cents:02}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out
}

/// A fraction (0.42) as a percentage ("42%"), with one decimal below 10%.
pub fn format_percent(v: f64) -> String {
    let p = clean(v) * 100.0;
    if p > 0.0 && p < 10.0 && (p - p.round()).abs() >= 0.05 {
        format!("{p:.1}%")
    } else {
        format!("{}%", format_number(p.round()))
    }
}

/// Tick values from zero to at least `max` in 1-2-5 steps, about five intervals.
/// Zero or invalid `max` gives `[0, 1]`.
pub fn nice_ticks(max: f64) -> Vec<f64> {
    if !max.is_finite() || max <= 0.0 {
        return vec![0.0, 1.0];
    }
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let step = magnitude
        * if norm <= 1.0 {
            1.0
        } else if norm <= 2.0 {
            2.0
        } else if norm <= 5.0 {
            5.0
        } else {
            10.0
        };
    let n = (max / step - 1e-9).ceil().max(1.0) as usize;
    // Round away floating-point noise (0.6000000000000001) relative to the step.
    let unit = magnitude / 1000.0;
    (0..=n)
        .map(|i| ((i as f64 * step) / unit).round() * unit)
        .collect()
}

fn clean(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 { v } else { 0.0 }
}

fn conversion(from: f64, to: f64) -> String {
    let (from, to) = (clean(from), clean(to));
    if from <= 0.0 {
        "–".to_string()
    } else {
        format_percent(to / from)
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Index and value of the first largest item (0, 0.0 when empty).
fn argmax(values: impl Iterator<Item = f64>) -> (usize, f64) {
    values.enumerate().fold(
        (0, f64::MIN),
        |best, (i, v)| if v > best.1 { (i, v) } else { best },
    )
}

fn argmax_by(items: impl Iterator<Item = (usize, f64)>) -> (usize, (usize, f64)) {
    items
        .enumerate()
        .fold((0, (0, f64::MIN)), |best, (k, item)| {
            if item.1 > best.1.1 { (k, item) } else { best }
        })
}

fn slug(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    out = out.trim_matches('-').to_string();
    if out.is_empty() || !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "chart-");
    }
    out
}

/// Rough width of text in the chart's sans-serif font.
fn text_width(s: &str, font: f64) -> f64 {
    s.chars().count() as f64 * font * 0.58
}

/// Shortens a label to fit `max_width`, ending it with an ellipsis.
fn fit(s: &str, max_width: f64, font: f64) -> String {
    if text_width(s, font) <= max_width {
        return s.to_string();
    }
    let keep = ((max_width / (font * 0.58)).floor() as usize).saturating_sub(1);
    let mut out: String = s.chars().take(keep.max(1)).collect();
    out.push('…');
    out
}

fn linked_text(href: Option<&str>, text: &str) -> String {
    match href {
        Some(h) => format!("<a href=\"{}\">{}</a>", escape(h), escape(text)),
        None => escape(text),
    }
}

fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

// ---------------------------------------------------------------------------------------
// SVG building blocks
// ---------------------------------------------------------------------------------------

/// Opens the `<svg>` with its `<title>`, `<desc>` and visible title; returns the y below
/// the title. A chart without links is one image (`role="img"`). A chart whose marks link to
/// the lists behind them has no role but the SVG root's own (a graphics document, named by
/// its title and described by its desc), so that the links stay reachable: an image's
/// children are presentational, which hides links inside `role="img"` from assistive
/// technology. (`role="group"` would say the same, but the HTML standard does not allow it on
/// `<svg>`.) The ids carry `-chart-` so that they cannot collide
/// with the ids of the page's own sections (the funnel's section is `funnel`, its heading
/// `funnel-title`).
#[allow(clippy::too_many_arguments)]
fn open_svg(
    out: &mut String,
    kind: &str,
    id: &str,
    linked: bool,
    height: f64,
    title: &str,
    desc: &str,
) -> f64 {
    let role = if linked { "" } else { " role=\"img\"" };
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart chart-{kind}\"{role} \
         aria-labelledby=\"{id}-chart-title\" aria-describedby=\"{id}-chart-desc\" \
         viewBox=\"0 0 {w} {h}\" width=\"100%\" \
         preserveAspectRatio=\"xMidYMid meet\" font-family=\"inherit\" font-size=\"{FONT}\">\
         <title id=\"{id}-chart-title\">{t}</title><desc id=\"{id}-chart-desc\">{d}</desc>\
         <text class=\"chart-title\" x=\"{x}\" y=\"22\" font-size=\"15\" font-weight=\"600\" \
         fill=\"currentColor\" aria-hidden=\"true\">{t}</text>",
        w = n(WIDTH),
        h = n(height),
        t = escape(title),
        d = escape(desc),
        x = 12,
    );
    30.0
}

fn empty_svg(kind: &str, id: &str, title: &str) -> String {
    let mut out = String::new();
    open_svg(&mut out, kind, id, false, 160.0, title, EMPTY_MESSAGE);
    let _ = write!(
        out,
        "<text class=\"chart-empty\" x=\"{}\" y=\"95\" text-anchor=\"middle\" \
         fill=\"currentColor\" opacity=\"0.7\">{EMPTY_MESSAGE}</text></svg>",
        n(WIDTH / 2.0)
    );
    out
}

/// Legend row(s) at `y`; returns the y below it.
fn legend(out: &mut String, series: &[Series], x0: f64, y: f64) -> f64 {
    if series.len() < 2 {
        return y;
    }
    out.push_str("<g class=\"chart-legend\">");
    let (mut x, mut y) = (x0, y);
    for (k, s) in series.iter().enumerate() {
        let w = 12.0 + 6.0 + text_width(&s.name, FONT) + 18.0;
        if x + w > WIDTH - 12.0 && x > x0 {
            x = x0;
            y += 18.0;
        }
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" fill=\"currentColor\">{}</text>",
            n(x),
            n(y),
            color(k),
            n(x + 18.0),
            n(y + 10.5),
            escape(&s.name)
        );
        x += w;
    }
    out.push_str("</g>");
    y + 22.0
}

fn color(k: usize) -> &'static str {
    PALETTE[k % PALETTE.len()]
}

fn on_color(k: usize) -> &'static str {
    ON_PALETTE[k % ON_PALETTE.len()]
}

/// A shape, wrapped in a link when there is an href. `label` is its tooltip and the
/// link's accessible name.
fn mark(out: &mut String, href: Option<&str>, label: &str, shape: &str) {
    let label = escape(label);
    match href {
        Some(h) => {
            let _ = write!(
                out,
                "<a class=\"chart-link\" href=\"{}\" aria-label=\"{label}\">{shape}<title>{label}</title></a>",
                escape(h)
            );
        }
        None => {
            let _ = write!(out, "<g>{shape}<title>{label}</title></g>");
        }
    }
}

fn point_label(chart: &Chart, k: usize, i: usize, v: f64) -> String {
    let fmt = chart.value_format;
    if chart.series.len() > 1 {
        format!(
            "{}, {}: {}",
            chart.categories[i],
            chart.series[k].name,
            fmt(v)
        )
    } else {
        format!("{}: {}", chart.categories[i], fmt(v))
    }
}

#[allow(clippy::too_many_arguments)]
fn text(
    out: &mut String,
    class: &str,
    x: f64,
    y: f64,
    anchor: &str,
    size: f64,
    fill: &str,
    s: &str,
) {
    let _ = write!(
        out,
        "<text class=\"{class}\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" font-size=\"{}\" fill=\"{fill}\">{}</text>",
        n(x),
        n(y),
        n(size),
        escape(s)
    );
}

// ---------------------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------------------

/// Vertical bars: one bar per category, series grouped side by side or stacked.
pub fn bar_chart(spec: &BarChart) -> String {
    let id = spec.element_id();
    if spec.is_empty() {
        return empty_svg("bar", &id, &spec.title);
    }
    let stacked = spec.stacked && spec.series.len() > 1;
    let kind = if stacked {
        "Stacked bar chart"
    } else {
        "Bar chart"
    };
    let height = 380.0;
    let mut out = String::new();
    let y0 = open_svg(
        &mut out,
        "bar",
        &id,
        spec.is_linked(),
        height,
        &spec.title,
        &spec.summary(kind, stacked),
    );
    let top = legend(&mut out, &spec.series, 12.0, y0 + 6.0) + 12.0;
    let ticks = nice_ticks(spec.max_value(stacked));
    let (left, right, bottom) = (vertical_axis_left(spec, &ticks), 16.0, 58.0);
    let (plot_w, plot_h) = (WIDTH - left - right, height - top - bottom);
    let base = top + plot_h;
    let scale_max = ticks[ticks.len() - 1];
    let y = |v: f64| base - v / scale_max * plot_h;
    let fmt = spec.value_format;

    value_axis_vertical(&mut out, spec, &ticks, left, plot_w, top, plot_h, &y);

    let cats = spec.categories.len();
    let band = plot_w / cats as f64;
    let ns = spec.series.len();
    let group = band * if stacked || ns == 1 { 0.72 } else { 0.84 };
    let bar_w = if stacked { group } else { group / ns as f64 };
    // Grouped value labels sit above their bars: show them all or, when any would
    // overlap its neighbour, none (the data table has them).
    let fits = |font: f64| {
        (0..cats).all(|i| {
            spec.series
                .iter()
                .all(|s| text_width(&fmt(s.value(i)), font) <= bar_w + 2.0)
        })
    };
    let label_font = if ns == 1 || fits(SMALL_FONT) {
        Some(SMALL_FONT)
    } else if fits(9.0) {
        Some(9.0)
    } else {
        None
    };
    out.push_str("<g class=\"chart-bars\">");
    for i in 0..cats {
        let gx = left + band * i as f64 + (band - group) / 2.0;
        let mut acc = 0.0;
        for (k, s) in spec.series.iter().enumerate() {
            let v = s.value(i);
            let (x, y_top, h) = if stacked {
                let (a, b) = (y(acc), y(acc + v));
                acc += v;
                (gx, b, a - b)
            } else {
                (gx + bar_w * k as f64, y(v), base - y(v))
            };
            let shape = format!(
                "<rect class=\"chart-bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>",
                n(x),
                n(y_top),
                n((bar_w - 1.0).max(1.0)),
                n(h.max(0.0)),
                color(k)
            );
            mark(&mut out, s.href(i), &point_label(spec, k, i, v), &shape);
            let label = fmt(v);
            if stacked {
                if v > 0.0 && h >= 15.0 && text_width(&label, SMALL_FONT) <= bar_w - 4.0 {
                    let cy = y_top + h / 2.0 + 4.0;
                    text(
                        &mut out,
                        "chart-value",
                        x + bar_w / 2.0,
                        cy,
                        "middle",
                        SMALL_FONT,
                        on_color(k),
                        &label,
                    );
                }
            } else if let Some(font) = label_font {
                text(
                    &mut out,
                    "chart-value",
                    x + bar_w / 2.0,
                    y_top - 4.0,
                    "middle",
                    font,
                    "currentColor",
                    &label,
                );
            }
        }
        if stacked {
            let label = fmt(acc);
            if text_width(&label, SMALL_FONT) <= band {
                text(
                    &mut out,
                    "chart-value chart-total",
                    gx + group / 2.0,
                    y(acc) - 4.0,
                    "middle",
                    SMALL_FONT,
                    "currentColor",
                    &label,
                );
            }
        }
    }
    out.push_str("</g>");

    // Category axis.
    out.push_str("<g class=\"chart-axis chart-axis-x\">");
    let _ = write!(
        out,
        "<line x1=\"{}\" y1=\"{b}\" x2=\"{}\" y2=\"{b}\" stroke=\"currentColor\"/>",
        n(left),
        n(left + plot_w),
        b = n(base)
    );
    for (i, c) in spec.categories.iter().enumerate() {
        let cx = left + band * (i as f64 + 0.5);
        category_tick(&mut out, c, cx, base + 17.0, band - 4.0);
    }
    text(
        &mut out,
        "chart-axis-title",
        left + plot_w / 2.0,
        height - 10.0,
        "middle",
        FONT,
        "currentColor",
        &spec.category_label,
    );
    out.push_str("</g></svg>");
    out
}

/// A category label under the axis, shortened to fit, with the full text as tooltip.
fn category_tick(out: &mut String, label: &str, cx: f64, y: f64, max_w: f64) {
    let short = fit(label, max_w, FONT);
    let _ = write!(
        out,
        "<text class=\"chart-tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"currentColor\">{}",
        n(cx),
        n(y),
        escape(&short)
    );
    if short != label {
        let _ = write!(out, "<title>{}</title>", escape(label));
    }
    out.push_str("</text>");
}

/// Left margin of a vertical value axis: room for the rotated title and the widest tick.
fn vertical_axis_left(spec: &Chart, ticks: &[f64]) -> f64 {
    let widest = ticks
        .iter()
        .map(|&t| text_width(&(spec.value_format)(t), SMALL_FONT))
        .fold(0.0, f64::max);
    (28.0 + widest + 12.0).max(56.0)
}

/// Gridlines, tick labels and the rotated axis title of a vertical value axis.
#[allow(clippy::too_many_arguments)]
fn value_axis_vertical(
    out: &mut String,
    spec: &Chart,
    ticks: &[f64],
    left: f64,
    plot_w: f64,
    top: f64,
    plot_h: f64,
    y: &dyn Fn(f64) -> f64,
) {
    out.push_str("<g class=\"chart-axis chart-axis-y\">");
    for &t in ticks {
        let ty = y(t);
        let _ = write!(
            out,
            "<line class=\"chart-grid\" x1=\"{}\" y1=\"{ty}\" x2=\"{}\" y2=\"{ty}\" stroke=\"currentColor\" stroke-opacity=\"0.15\"/>",
            n(left),
            n(left + plot_w),
            ty = n(ty)
        );
        text(
            out,
            "chart-tick",
            left - 8.0,
            ty + 4.0,
            "end",
            SMALL_FONT,
            "currentColor",
            &(spec.value_format)(t),
        );
    }
    let cy = top + plot_h / 2.0;
    let _ = write!(
        out,
        "<text class=\"chart-axis-title\" x=\"16\" y=\"{}\" text-anchor=\"middle\" \
         transform=\"rotate(-90 16 {})\" fill=\"currentColor\">{}</text></g>",
        n(cy),
        n(cy),
        escape(&spec.value_label)
    );
}

/// Horizontal bars: one row per category (rep, stage...), series grouped or stacked.
pub fn horizontal_bars(spec: &BarChart) -> String {
    let id = spec.element_id();
    if spec.is_empty() {
        return empty_svg("hbar", &id, &spec.title);
    }
    let stacked = spec.stacked && spec.series.len() > 1;
    let kind = if stacked {
        "Stacked horizontal bar chart"
    } else {
        "Horizontal bar chart"
    };
    let ns = spec.series.len();
    let bar_h = if stacked || ns == 1 { 20.0 } else { 14.0 };
    let row = if stacked { bar_h } else { bar_h * ns as f64 } + 10.0;
    let cats = spec.categories.len();

    // Measure the legend by drawing it into a scratch buffer first.
    let mut scratch = String::new();
    let legend_bottom = legend(&mut scratch, &spec.series, 12.0, 36.0);
    let top = legend_bottom + 10.0;
    let bottom = 50.0;
    let height = top + row * cats as f64 + bottom;

    let mut out = String::new();
    open_svg(
        &mut out,
        "hbar",
        &id,
        spec.is_linked(),
        height,
        &spec.title,
        &spec.summary(kind, stacked),
    );
    out.push_str(&scratch);

    let longest = spec
        .categories
        .iter()
        .map(|c| text_width(c, FONT))
        .fold(0.0, f64::max);
    let label_w = longest.clamp(60.0, 180.0);
    let left = 30.0 + label_w + 10.0;
    let right = 64.0;
    let plot_w = WIDTH - left - right;
    let plot_h = row * cats as f64;
    let base = top + plot_h;
    let ticks = nice_ticks(spec.max_value(stacked));
    let scale_max = ticks[ticks.len() - 1];
    let x = |v: f64| left + v / scale_max * plot_w;
    let fmt = spec.value_format;

    // Value axis along the bottom.
    out.push_str("<g class=\"chart-axis chart-axis-x\">");
    for &t in &ticks {
        let tx = n(x(t));
        let _ = write!(
            out,
            "<line class=\"chart-grid\" x1=\"{tx}\" y1=\"{}\" x2=\"{tx}\" y2=\"{}\" stroke=\"currentColor\" stroke-opacity=\"0.15\"/>",
            n(top),
            n(base)
        );
        text(
            &mut out,
            "chart-tick",
            x(t),
            base + 16.0,
            "middle",
            SMALL_FONT,
            "currentColor",
            &fmt(t),
        );
    }
    text(
        &mut out,
        "chart-axis-title",
        left + plot_w / 2.0,
        height - 10.0,
        "middle",
        FONT,
        "currentColor",
        &spec.value_label,
    );
    out.push_str("</g>");

    // Category axis down the left.
    out.push_str("<g class=\"chart-axis chart-axis-y\">");
    let _ = write!(
        out,
        "<line x1=\"{l}\" y1=\"{}\" x2=\"{l}\" y2=\"{}\" stroke=\"currentColor\"/>",
        n(top),
        n(base),
        l = n(left)
    );
    for (i, c) in spec.categories.iter().enumerate() {
        let short = fit(c, label_w, FONT);
        let cy = top + row * (i as f64 + 0.5) + 4.0;
        let _ = write!(
            out,
            "<text class=\"chart-tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"currentColor\">{}",
            n(left - 8.0),
            n(cy),
            escape(&short)
        );
        if &short != c {
            let _ = write!(out, "<title>{}</title>", escape(c));
        }
        out.push_str("</text>");
    }
    let cy = top + plot_h / 2.0;
    let _ = write!(
        out,
        "<text class=\"chart-axis-title\" x=\"14\" y=\"{c}\" text-anchor=\"middle\" \
         transform=\"rotate(-90 14 {c})\" fill=\"currentColor\">{}</text></g>",
        escape(&spec.category_label),
        c = n(cy)
    );

    out.push_str("<g class=\"chart-bars\">");
    for i in 0..cats {
        let ry = top + row * i as f64 + 5.0;
        let mut acc = 0.0;
        for (k, s) in spec.series.iter().enumerate() {
            let v = s.value(i);
            let (bx, by, w) = if stacked {
                let a = acc;
                acc += v;
                (x(a), ry, x(acc) - x(a))
            } else {
                (left, ry + bar_h * k as f64, x(v) - left)
            };
            let shape = format!(
                "<rect class=\"chart-bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>",
                n(bx),
                n(by),
                n(w.max(0.0)),
                n(bar_h - 1.0),
                color(k)
            );
            mark(&mut out, s.href(i), &point_label(spec, k, i, v), &shape);
            let label = fmt(v);
            if stacked {
                if v > 0.0 && text_width(&label, SMALL_FONT) <= w - 6.0 {
                    text(
                        &mut out,
                        "chart-value",
                        bx + w / 2.0,
                        by + bar_h / 2.0 + 3.5,
                        "middle",
                        SMALL_FONT,
                        on_color(k),
                        &label,
                    );
                }
            } else {
                text(
                    &mut out,
                    "chart-value",
                    bx + w + 4.0,
                    by + bar_h / 2.0 + 3.5,
                    "start",
                    SMALL_FONT,
                    "currentColor",
                    &label,
                );
            }
        }
        if stacked {
            text(
                &mut out,
                "chart-value chart-total",
                x(acc) + 4.0,
                ry + bar_h / 2.0 + 3.5,
                "start",
                SMALL_FONT,
                "currentColor",
                &fmt(acc),
            );
        }
    }
    out.push_str("</g></svg>");
    out
}

/// Lines over categories (e.g. weeks), one per series, with a marker on every point.
pub fn line_chart(spec: &LineChart) -> String {
    let id = spec.element_id();
    if spec.is_empty() {
        return empty_svg("line", &id, &spec.title);
    }
    let height = 380.0;
    let mut out = String::new();
    let y0 = open_svg(
        &mut out,
        "line",
        &id,
        spec.is_linked(),
        height,
        &spec.title,
        &spec.summary("Line chart", false),
    );
    let top = legend(&mut out, &spec.series, 12.0, y0 + 6.0) + 12.0;
    let ticks = nice_ticks(spec.max_value(false));
    let (left, right, bottom) = (vertical_axis_left(spec, &ticks), 16.0, 58.0);
    let (plot_w, plot_h) = (WIDTH - left - right, height - top - bottom);
    let base = top + plot_h;
    let scale_max = ticks[ticks.len() - 1];
    let y = |v: f64| base - v / scale_max * plot_h;
    let fmt = spec.value_format;

    value_axis_vertical(&mut out, spec, &ticks, left, plot_w, top, plot_h, &y);

    let cats = spec.categories.len();
    let band = plot_w / cats as f64;
    let cx = |i: usize| left + band * (i as f64 + 0.5);
    let single = spec.series.len() == 1;
    for (k, s) in spec.series.iter().enumerate() {
        let points: Vec<String> = (0..cats)
            .map(|i| format!("{},{}", n(cx(i)), n(y(s.value(i)))))
            .collect();
        let _ = write!(
            out,
            "<g class=\"chart-series\"><polyline class=\"chart-line\" points=\"{}\" fill=\"none\" \
             stroke=\"{}\" stroke-width=\"2.5\" stroke-linejoin=\"round\"/>",
            points.join(" "),
            color(k)
        );
        for i in 0..cats {
            let v = s.value(i);
            let shape = format!(
                "<circle class=\"chart-point\" cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"1\"/>",
                n(cx(i)),
                n(y(v)),
                color(k)
            );
            mark(&mut out, s.href(i), &point_label(spec, k, i, v), &shape);
            let label = fmt(v);
            if single && text_width(&label, SMALL_FONT) <= band {
                text(
                    &mut out,
                    "chart-value",
                    cx(i),
                    y(v) - 9.0,
                    "middle",
                    SMALL_FONT,
                    "currentColor",
                    &label,
                );
            }
        }
        out.push_str("</g>");
    }

    out.push_str("<g class=\"chart-axis chart-axis-x\">");
    let _ = write!(
        out,
        "<line x1=\"{}\" y1=\"{b}\" x2=\"{}\" y2=\"{b}\" stroke=\"currentColor\"/>",
        n(left),
        n(left + plot_w),
        b = n(base)
    );
    for (i, c) in spec.categories.iter().enumerate() {
        category_tick(&mut out, c, cx(i), base + 17.0, band - 4.0);
    }
    text(
        &mut out,
        "chart-axis-title",
        left + plot_w / 2.0,
        height - 10.0,
        "middle",
        FONT,
        "currentColor",
        &spec.category_label,
    );
    out.push_str("</g></svg>");
    out
}

/// A funnel: centred bars proportional to each stage, with the conversion rate from one
/// stage to the next written between them.
pub fn funnel(spec: &Funnel) -> String {
    let id = slug(if spec.id.is_empty() {
        &spec.title
    } else {
        &spec.id
    });
    if spec.stages.is_empty() {
        return empty_svg("funnel", &id, &spec.title);
    }
    let fmt = spec.value_format;
    let values: Vec<f64> = spec.stages.iter().map(|s| clean(s.1)).collect();
    let max = values.iter().copied().fold(0.0, f64::max);
    let (first, last) = (&spec.stages[0], &spec.stages[spec.stages.len() - 1]);
    let desc = if max <= 0.0 {
        format!(
            "Funnel of {} stages from {} to {}; all values are zero.",
            spec.stages.len(),
            first.0,
            last.0
        )
    } else {
        format!(
            "Funnel of {} stages from {} ({}) to {} ({}), {} overall conversion.",
            spec.stages.len(),
            first.0,
            fmt(values[0]),
            last.0,
            fmt(values[values.len() - 1]),
            conversion(values[0], values[values.len() - 1])
        )
    };
    let (bar_h, gap, top) = (30.0, 24.0, 44.0);
    let height = top + spec.stages.len() as f64 * (bar_h + gap) - gap + 20.0;
    let mut out = String::new();
    let linked = spec
        .stages
        .iter()
        .any(|s| s.2.as_deref().is_some_and(|h| !h.is_empty()));
    open_svg(&mut out, "funnel", &id, linked, height, &spec.title, &desc);

    let longest = spec
        .stages
        .iter()
        .map(|s| text_width(&s.0, FONT))
        .fold(0.0, f64::max);
    let label_w = longest.clamp(60.0, 170.0);
    let left = 12.0 + label_w + 14.0;
    let plot_w = WIDTH - left - 16.0;
    let center = left + plot_w / 2.0;
    out.push_str("<g class=\"chart-bars\">");
    for (i, (name, _, href)) in spec.stages.iter().enumerate() {
        let v = values[i];
        let by = top + i as f64 * (bar_h + gap);
        let w = if max > 0.0 { v / max * plot_w } else { 0.0 };
        let w = if v > 0.0 { w.max(2.0) } else { w };
        let short = fit(name, label_w, FONT);
        let _ = write!(
            out,
            "<text class=\"chart-tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"currentColor\">{}",
            n(left - 14.0),
            n(by + bar_h / 2.0 + 4.0),
            escape(&short)
        );
        if &short != name {
            let _ = write!(out, "<title>{}</title>", escape(name));
        }
        out.push_str("</text>");
        let shape = format!(
            "<rect class=\"chart-bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>",
            n(center - w / 2.0),
            n(by),
            n(w),
            n(bar_h),
            color(0)
        );
        let label = fmt(v);
        mark(
            &mut out,
            href.as_deref(),
            &format!("{name}: {label}"),
            &shape,
        );
        let ty = by + bar_h / 2.0 + 4.5;
        if text_width(&label, FONT) + 12.0 <= w {
            text(
                &mut out,
                "chart-value",
                center,
                ty,
                "middle",
                FONT,
                on_color(0),
                &label,
            );
        } else {
            text(
                &mut out,
                "chart-value",
                center + w / 2.0 + 6.0,
                ty,
                "start",
                FONT,
                "currentColor",
                &label,
            );
        }
        if i > 0 {
            let rate = conversion(values[i - 1], v);
            text(
                &mut out,
                "chart-rate",
                center,
                by - gap / 2.0 + 4.0,
                "middle",
                SMALL_FONT,
                "currentColor",
                &format!("↓ {rate} converted"),
            );
        }
    }
    out.push_str("</g></svg>");
    out
}

// ---------------------------------------------------------------------------------------
// Data table
// ---------------------------------------------------------------------------------------

/// The numbers behind a chart as `<table class="table chart-data">` with a caption: one
/// row per category, one column per series; cells link where the series has hrefs.
pub fn data_table(
    title: &str,
    category_label: &str,
    categories: &[String],
    series: &[Series],
    value_format: ValueFormat,
) -> String {
    table(
        title,
        category_label,
        categories,
        series,
        value_format,
        false,
    )
}

fn table(
    title: &str,
    category_label: &str,
    categories: &[String],
    series: &[Series],
    fmt: ValueFormat,
    with_total: bool,
) -> String {
    let mut out = String::from("<table class=\"table chart-data\">");
    let _ = write!(
        out,
        "<caption>{}</caption><thead><tr><th scope=\"col\">{}</th>",
        escape(title),
        escape(category_label)
    );
    for s in series {
        let _ = write!(
            out,
            "<th scope=\"col\" class=\"num\">{}</th>",
            escape(&s.name)
        );
    }
    if with_total {
        out.push_str("<th scope=\"col\" class=\"num\">Total</th>");
    }
    out.push_str("</tr></thead><tbody>");
    if categories.is_empty() || series.is_empty() {
        let cols = 1 + series.len() + usize::from(with_total);
        let _ = write!(out, "<tr><td colspan=\"{cols}\">{EMPTY_MESSAGE}</td></tr>");
    }
    if !series.is_empty() {
        for (i, c) in categories.iter().enumerate() {
            let _ = write!(out, "<tr><th scope=\"row\">{}</th>", escape(c));
            for s in series {
                let _ = write!(
                    out,
                    "<td class=\"num\">{}</td>",
                    linked_text(s.href(i), &fmt(s.value(i)))
                );
            }
            if with_total {
                let total: f64 = series.iter().map(|s| s.value(i)).sum();
                let _ = write!(out, "<td class=\"num\">{}</td>", escape(&fmt(total)));
            }
            out.push_str("</tr>");
        }
    }
    out.push_str("</tbody></table>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cats(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn pipeline() -> Chart {
        Chart::new(
            "Pipeline by stage",
            "Stage",
            "Open opportunities",
            cats(&["Qualify", "Propose", "Negotiate"]),
            vec![
                Series::new("Count", vec![12.0, 7.0, 3.0]).with_hrefs(cats(&[
                    "/o?stage=q",
                    "/o?stage=p&x=1",
                    "/o?stage=n",
                ])),
            ],
        )
    }

    fn activity() -> Chart {
        Chart::new(
            "Activity per week",
            "Week",
            "Touches",
            cats(&["W1", "W2", "W3", "W4"]),
            vec![
                Series::new("Email", vec![40.0, 52.0, 38.0, 61.0]),
                Series::new("Call", vec![12.0, 18.0, 9.0, 22.0]),
                Series::new("LinkedIn", vec![5.0, 0.0, 7.0, 4.0]),
            ],
        )
        .stacked()
    }

    fn stages() -> Funnel {
        Funnel::new(
            "Funnel",
            vec![
                ("Touched".into(), 1200.0, Some("/p?s=touched".into())),
                ("Connected".into(), 480.0, None),
                ("Won".into(), 12.0, None),
            ],
        )
    }

    /// Parses as XML and checks the accessible skeleton; returns the document text.
    fn check_svg(svg: &str) -> roxmltree::Document<'_> {
        let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        // Links inside role=img are hidden from assistive technology (axe's
        // nested-interactive): a chart with links keeps the SVG root's own role.
        let linked = doc.descendants().any(|n| n.tag_name().name() == "a");
        let role = if linked { None } else { Some("img") };
        assert_eq!(root.attribute("role"), role, "{svg}");
        assert!(root.attribute("viewBox").is_some());
        let kids: Vec<_> = root.children().filter(|n| n.is_element()).collect();
        assert_eq!(kids[0].tag_name().name(), "title");
        assert_eq!(kids[1].tag_name().name(), "desc");
        for (attribute, kid) in [("aria-labelledby", kids[0]), ("aria-describedby", kids[1])] {
            let id = root.attribute(attribute).unwrap();
            assert_eq!(kid.attribute("id"), Some(id), "{attribute}");
            assert!(!kid.text().unwrap_or("").is_empty());
        }
        doc
    }

    fn links(doc: &roxmltree::Document) -> Vec<String> {
        doc.descendants()
            .filter(|n| n.tag_name().name() == "a")
            .map(|n| n.attribute("href").unwrap().to_string())
            .collect()
    }

    fn texts(doc: &roxmltree::Document) -> Vec<String> {
        doc.descendants()
            .filter(|n| n.tag_name().name() == "text")
            .map(|n| n.text().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn ticks_use_1_2_5_steps() {
        let close = |a: Vec<f64>, b: &[f64]| {
            assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
            for (x, y) in a.iter().zip(b) {
                assert!((x - y).abs() < 1e-9, "{a:?} vs {b:?}");
            }
        };
        close(nice_ticks(0.7), &[0.0, 0.2, 0.4, 0.6, 0.8]);
        close(nice_ticks(1234.0), &[0.0, 500.0, 1000.0, 1500.0]);
        close(nice_ticks(87.0), &[0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        close(nice_ticks(100.0), &[0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        close(nice_ticks(3.0), &[0.0, 1.0, 2.0, 3.0]);
        close(nice_ticks(0.0), &[0.0, 1.0]);
        close(nice_ticks(f64::NAN), &[0.0, 1.0]);
        assert_eq!(format_number(0.6000000000000001), "0.6");
    }

    #[test]
    fn numbers_have_thousands_separators() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(999.0), "999");
        assert_eq!(format_number(1000.0), "1,000");
        assert_eq!(format_number(1234567.0), "1,234,567");
        assert_eq!(format_number(-1500.0), "-1,500");
        assert_eq!(format_number(0.25), "0.25");
        assert_eq!(format_percent(0.4), "40%");
        assert_eq!(format_percent(0.025), "2.5%");
        assert_eq!(format_percent(0.0), "0%");
    }

    #[test]
    fn escape_covers_markup_characters() {
        assert_eq!(escape(r#"<a&"b'>"#), "&lt;a&amp;&quot;b&#39;&gt;");
    }

    #[test]
    fn bar_chart_is_accessible_and_linked() {
        let svg = bar_chart(&pipeline());
        let doc = check_svg(&svg);
        let desc = doc
            .descendants()
            .find(|n| n.tag_name().name() == "desc")
            .unwrap();
        assert!(desc.text().unwrap().contains("largest is Qualify at 12"));
        assert_eq!(
            links(&doc),
            vec!["/o?stage=q", "/o?stage=p&x=1", "/o?stage=n"]
        );
        let t = texts(&doc);
        for expected in [
            "Pipeline by stage",
            "Stage",
            "Open opportunities",
            "12",
            "Negotiate",
        ] {
            assert!(t.iter().any(|s| s == expected), "missing {expected}: {t:?}");
        }
        assert!(svg.contains("class=\"chart chart-bar\""));
        // One series: no legend.
        assert!(!svg.contains("chart-legend"));
    }

    #[test]
    fn stacked_and_grouped_bars_have_legend_and_totals() {
        let spec = activity();
        let doc_svg = bar_chart(&spec);
        let doc = check_svg(&doc_svg);
        assert!(doc_svg.contains("chart-legend"));
        let t = texts(&doc);
        assert!(t.iter().any(|s| s == "LinkedIn"));
        assert!(t.iter().any(|s| s == "87"), "stack total for W4: {t:?}");
        assert!(doc_svg.contains("largest total is W4 at 87"));
        let mut grouped = spec.clone();
        grouped.stacked = false;
        let svg = bar_chart(&grouped);
        check_svg(&svg);
        assert!(svg.contains("largest is Email for W4 at 61"));
        // 4 categories × 3 series.
        assert_eq!(svg.matches("class=\"chart-bar\"").count(), 12);
    }

    #[test]
    fn horizontal_bars_and_lines_are_well_formed() {
        for spec in [pipeline(), activity()] {
            let doc_svg = horizontal_bars(&spec);
            check_svg(&doc_svg);
            let doc_svg = line_chart(&spec);
            let doc = check_svg(&doc_svg);
            assert_eq!(
                doc.descendants()
                    .filter(|n| n.tag_name().name() == "circle")
                    .count(),
                spec.categories.len() * spec.series.len()
            );
        }
        let svg = horizontal_bars(&pipeline());
        let doc = check_svg(&svg);
        assert_eq!(links(&doc).len(), 3);
    }

    #[test]
    fn labels_are_escaped() {
        let nasty = r#"<b>Tom & "Jerry"</b>"#;
        let mut spec = pipeline();
        spec.title = nasty.into();
        spec.categories[0] = nasty.into();
        spec.series[0].name = nasty.into();
        spec.series[0].hrefs = Some(cats(&["/x?a=1&b=\"2\"", "", "/y"]));
        for svg in [bar_chart(&spec), horizontal_bars(&spec), line_chart(&spec)] {
            assert!(!svg.contains("<b>"));
            let doc = check_svg(&svg);
            assert!(texts(&doc).iter().any(|t| t == nasty));
            assert_eq!(links(&doc), vec!["/x?a=1&b=\"2\"", "/y"]);
        }
        let mut f = stages();
        f.title = nasty.into();
        f.stages[0].0 = nasty.into();
        let doc_svg = funnel(&f);
        let doc = check_svg(&doc_svg);
        assert!(texts(&doc).iter().any(|t| t == nasty));
        let table = data_table(nasty, nasty, &spec.categories, &spec.series, format_number);
        assert!(!table.contains("<b>"));
        assert!(table.contains("&lt;b&gt;Tom &amp; &quot;Jerry&quot;"));
    }

    #[test]
    fn funnel_labels_conversion_rates() {
        let svg = funnel(&stages());
        let doc = check_svg(&svg);
        let t = texts(&doc);
        assert!(t.iter().any(|s| s == "1,200"));
        assert!(t.iter().any(|s| s == "↓ 40% converted"), "{t:?}");
        assert!(t.iter().any(|s| s == "↓ 2.5% converted"), "{t:?}");
        assert!(svg.contains("1% overall conversion"));
        assert_eq!(links(&doc), vec!["/p?s=touched"]);
        let table = stages().data_table();
        assert!(table.contains("<td class=\"num\">40%</td>"));
    }

    #[test]
    fn empty_data_says_so() {
        let mut spec = pipeline();
        spec.categories.clear();
        spec.series[0].values.clear();
        let mut no_series = pipeline();
        no_series.series.clear();
        let empty_funnel = Funnel::new("Funnel", vec![]);
        for svg in [
            bar_chart(&spec),
            horizontal_bars(&spec),
            line_chart(&spec),
            bar_chart(&no_series),
            funnel(&empty_funnel),
        ] {
            let doc = check_svg(&svg);
            assert!(texts(&doc).iter().any(|t| t == EMPTY_MESSAGE));
        }
        assert!(spec.data_table().contains(EMPTY_MESSAGE));
        assert!(empty_funnel.data_table().contains(EMPTY_MESSAGE));
    }

    #[test]
    fn all_zero_data_renders_without_nan() {
        let mut spec = activity();
        for s in &mut spec.series {
            s.values = vec![0.0; 4];
        }
        let f = Funnel::new(
            "Funnel",
            vec![("A".into(), 0.0, None), ("B".into(), 0.0, None)],
        );
        let mut grouped = spec.clone();
        grouped.stacked = false;
        for svg in [
            bar_chart(&spec),
            bar_chart(&grouped),
            horizontal_bars(&spec),
            line_chart(&spec),
            funnel(&f),
        ] {
            check_svg(&svg);
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
            assert!(svg.contains("all values are zero"));
        }
        assert!(funnel(&f).contains("↓ – converted"));
    }

    #[test]
    fn data_table_has_caption_headers_links_and_totals() {
        let t = pipeline().data_table();
        assert!(
            t.starts_with("<table class=\"table chart-data\"><caption>Pipeline by stage</caption>")
        );
        assert!(t.contains(
            "<th scope=\"row\">Qualify</th><td class=\"num\"><a href=\"/o?stage=q\">12</a></td>"
        ));
        assert!(t.contains("href=\"/o?stage=p&amp;x=1\""));
        let t = activity().data_table();
        assert!(t.contains(">Total</th>"));
        assert!(t.contains("<td class=\"num\">87</td>"));
    }

    #[test]
    fn ids_are_unique_per_chart_and_valid() {
        let spec = pipeline().with_id("pipeline-count");
        let svg = bar_chart(&spec);
        assert!(svg.contains("aria-labelledby=\"pipeline-count-chart-title\""));
        assert!(svg.contains("aria-describedby=\"pipeline-count-chart-desc\""));
        // The dashboard's funnel section is id="funnel" with a heading id="funnel-title":
        // the chart's ids must not take those.
        let funnel = funnel(&stages().with_id("funnel"));
        assert!(funnel.contains("<title id=\"funnel-chart-title\">"));
        assert!(!funnel.contains("id=\"funnel-title\""));
        assert_eq!(slug("9 Weeks!"), "chart-9-weeks");
    }
}
