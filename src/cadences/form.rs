//! The cadence form: the cadence's fields and a list of step rows, kept as typed, and
//! their validation into a `CadenceInput`.
//!
//! The step editor works without JavaScript: each row's fields share a name
//! (`step_channel`, `step_delay`…) and arrive in document order, so the n-th value of each
//! name belongs to the n-th row. Unticked checkboxes are not sent at all, so the "remove"
//! checkbox carries its row's index as its value instead.

use time::{Time, macros::format_description};

use super::{
    Purpose,
    db::{CadenceDetail, CadenceInput, StepInput},
    template,
};
use crate::{process::Channel, web::FormErrors};

pub const MAX_STEPS: usize = 50;
/// Rows beyond this many are not read: nobody types a plan that long into one form.
const MAX_ROWS: usize = 200;
pub const MAX_DELAY: i16 = 260;
/// Blank rows offered for new steps.
pub const BLANK_ROWS: usize = 3;
pub const MAX_BLANK_ROWS: usize = 30;

#[derive(Clone, Debug, Default)]
pub struct CadenceForm {
    pub name: String,
    pub purpose: String,
    pub description: String,
    pub is_default: bool,
    pub rows: Vec<StepRow>,
    /// The "more rows" button was pressed: show the form again with more blank rows.
    pub more_rows: bool,
}

/// One step row as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepRow {
    /// Where the step goes; blank keeps the row's place.
    pub order: String,
    pub channel: String,
    pub delay: String,
    pub window_start: String,
    pub window_end: String,
    pub instructions: String,
    pub template: String,
    pub remove: bool,
}

impl StepRow {
    /// A row nobody typed into: ignored.
    pub fn is_blank(&self) -> bool {
        [
            &self.channel,
            &self.delay,
            &self.window_start,
            &self.window_end,
            &self.instructions,
            &self.template,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

/// The problems of one row, by field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowErrors {
    pub order: Option<String>,
    pub channel: Option<String>,
    pub delay: Option<String>,
    pub window: Option<String>,
    pub instructions: Option<String>,
    pub template: Option<String>,
}

impl RowErrors {
    pub fn is_empty(&self) -> bool {
        self == &RowErrors::default()
    }

    /// Each message with the id of the input it is about, for the error summary.
    pub fn messages(&self) -> Vec<(&'static str, &str)> {
        [
            ("order", &self.order),
            ("channel", &self.channel),
            ("delay", &self.delay),
            ("window-start", &self.window),
            ("instructions", &self.instructions),
            ("template", &self.template),
        ]
        .into_iter()
        .filter_map(|(field, message)| message.as_deref().map(|m| (field, m)))
        .collect()
    }
}

/// Everything wrong with a submitted form: cadence fields, and each row by index.
#[derive(Clone, Debug, Default)]
pub struct CadenceErrors {
    pub fields: FormErrors,
    pub rows: Vec<RowErrors>,
}

impl CadenceErrors {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.rows.iter().all(RowErrors::is_empty)
    }

    pub fn row(&self, index: usize) -> RowErrors {
        self.rows.get(index).cloned().unwrap_or_default()
    }
}

impl CadenceForm {
    /// Reads the submitted pairs in order. Missing values count as empty.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> CadenceForm {
        let mut form = CadenceForm::default();
        let mut columns: [Vec<String>; 7] = Default::default();
        let mut removed = Vec::new();
        for (key, value) in pairs {
            let column = match key.as_str() {
                "name" => {
                    form.name = value;
                    continue;
                }
                "purpose" => {
                    form.purpose = value;
                    continue;
                }
                "description" => {
                    form.description = value;
                    continue;
                }
                "is_default" => {
                    form.is_default = true;
                    continue;
                }
                "more_rows" => {
                    form.more_rows = true;
                    continue;
                }
                "step_remove" => {
                    if let Ok(index) = value.parse::<usize>()
                        && index < MAX_ROWS
                        && !removed.contains(&index)
                    {
                        removed.push(index);
                    }
                    continue;
                }
                "step_order" => 0,
                "step_channel" => 1,
                "step_delay" => 2,
                "step_window_start" => 3,
                "step_window_end" => 4,
                "step_instructions" => 5,
                "step_template" => 6,
                _ => continue,
            };
            if columns[column].len() < MAX_ROWS {
                columns[column].push(value);
            }
        }
        let count = columns.iter().map(Vec::len).max().unwrap_or(0);
        let mut take = |column: usize, row: usize| {
            columns[column]
                .get_mut(row)
                .map(std::mem::take)
                .unwrap_or_default()
        };
        form.rows = (0..count)
            .map(|i| StepRow {
                order: take(0, i),
                channel: take(1, i),
                delay: take(2, i),
                window_start: take(3, i),
                window_end: take(4, i),
                instructions: take(5, i),
                template: take(6, i),
                remove: removed.contains(&i),
            })
            .collect();
        form
    }

    /// The form for editing a cadence: its latest version's steps, in order.
    pub fn from_detail(cadence: &CadenceDetail) -> CadenceForm {
        CadenceForm {
            name: cadence.name.clone(),
            purpose: cadence.purpose.as_str().to_string(),
            description: cadence.description.clone(),
            is_default: cadence.is_default,
            rows: cadence
                .steps
                .iter()
                .map(|step| StepRow {
                    order: step.position.to_string(),
                    channel: step.channel.as_str().to_string(),
                    delay: step.delay_business_days.to_string(),
                    window_start: step.window_start.map(hhmm).unwrap_or_default(),
                    window_end: step.window_end.map(hhmm).unwrap_or_default(),
                    instructions: step.instructions.clone(),
                    template: step.template.clone(),
                    remove: false,
                })
                .collect(),
            more_rows: false,
        }
    }

    pub fn add_blank_rows(&mut self, count: usize) {
        let count = count.min(MAX_BLANK_ROWS);
        self.rows
            .extend(std::iter::repeat_with(StepRow::default).take(count));
    }

    pub fn validate(&self) -> Result<CadenceInput, CadenceErrors> {
        let mut errors = CadenceErrors::default();
        let fields = &mut errors.fields;
        let name = fields.required("name", &self.name, 120);
        let purpose = Purpose::parse(self.purpose.trim());
        if purpose.is_none() {
            fields.add(
                "purpose",
                "Choose a purpose: pursue current interest or nurture future interest.",
            );
        }
        let description = fields.optional("description", &self.description, 1000);

        let mut steps = Vec::new();
        for (index, row) in self.rows.iter().enumerate() {
            if row.remove || row.is_blank() {
                errors.rows.push(RowErrors::default());
                continue;
            }
            let (order, step, row_errors) = validate_row(row);
            if let Some(step) = step {
                steps.push((order.unwrap_or(i32::MAX), index, step));
            }
            errors.rows.push(row_errors);
        }
        let typed_rows = self
            .rows
            .iter()
            .filter(|r| !r.remove && !r.is_blank())
            .count();
        if typed_rows == 0 {
            errors.fields.add(
                "steps",
                "Add at least one step: a channel and a delay in business days.",
            );
        } else if typed_rows > MAX_STEPS {
            errors
                .fields
                .add("steps", format!("Use at most {MAX_STEPS} steps."));
        }

        if !errors.is_empty() {
            return Err(errors);
        }
        // A stable sort: rows with the same (or no) order keep the order they were typed in.
        steps.sort_by_key(|(order, index, _)| (*order, *index));
        Ok(CadenceInput {
            name,
            purpose: purpose.unwrap_or(Purpose::Pursue),
            description,
            is_default: self.is_default,
            steps: steps.into_iter().map(|(_, _, step)| step).collect(),
        })
    }
}

fn validate_row(row: &StepRow) -> (Option<i32>, Option<StepInput>, RowErrors) {
    let mut errors = RowErrors::default();
    let order = match row.order.trim() {
        "" => None,
        raw => match raw.parse::<i32>() {
            Ok(n) if (1..=999).contains(&n) => Some(n),
            _ => {
                errors.order =
                    Some("Enter a position such as 1, 2 or 3, or leave it blank.".into());
                None
            }
        },
    };
    let channel = Channel::parse(row.channel.trim());
    if channel.is_none() {
        errors.channel = Some("Choose a channel.".into());
    }
    let delay = match row.delay.trim().parse::<i16>() {
        Ok(days) if (0..=MAX_DELAY).contains(&days) => Some(days),
        _ => {
            errors.delay = Some(format!(
                "Enter a whole number of business days from 0 (same day) to {MAX_DELAY}."
            ));
            None
        }
    };
    let window = match (row.window_start.trim(), row.window_end.trim()) {
        ("", "") => None,
        ("", _) | (_, "") => {
            errors.window = Some("Give the window both a start and an end, or neither.".into());
            None
        }
        (start, end) => match (parse_time(start), parse_time(end)) {
            (Some(start), Some(end)) if start < end => Some((start, end)),
            (Some(_), Some(_)) => {
                errors.window = Some("The window must start before it ends.".into());
                None
            }
            _ => {
                errors.window = Some("Enter times as HH:MM, such as 09:30.".into());
                None
            }
        },
    };
    let instructions = row.instructions.trim().to_string();
    if let Some(problem) = crate::input::text_problem(&instructions) {
        errors.instructions = Some(problem.into());
    } else if instructions.chars().count() > 2000 {
        errors.instructions = Some("Use at most 2000 characters.".into());
    }
    let template_text = row.template.trim().to_string();
    if let Some(problem) = crate::input::text_problem(&template_text) {
        errors.template = Some(problem.into());
    } else if template_text.chars().count() > 5000 {
        errors.template = Some("Use at most 5000 characters.".into());
    } else if let Err(err) = template::check(&template_text) {
        errors.template = Some(err.to_string());
    }
    let step = match (channel, delay, errors.is_empty()) {
        (Some(channel), Some(delay_business_days), true) => Some(StepInput {
            channel,
            delay_business_days,
            window,
            instructions,
            template: template_text,
        }),
        _ => None,
    };
    (order, step, errors)
}

/// A time as a time input sends it: `HH:MM`, or `HH:MM:SS` when it has a step.
fn parse_time(raw: &str) -> Option<Time> {
    Time::parse(raw, format_description!("[hour]:[minute]"))
        .or_else(|_| Time::parse(raw, format_description!("[hour]:[minute]:[second]")))
        .ok()
}

/// `09:30`, as a time input shows it.
pub fn hhmm(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::time;

    fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn row(channel: &str, delay: &str) -> [(&'static str, String); 7] {
        [
            ("step_order", String::new()),
            ("step_channel", channel.to_string()),
            ("step_delay", delay.to_string()),
            ("step_window_start", String::new()),
            ("step_window_end", String::new()),
            ("step_instructions", String::new()),
            ("step_template", String::new()),
        ]
    }

    fn form_with_rows(rows: &[[(&'static str, String); 7]]) -> CadenceForm {
        let mut all = vec![
            ("name".to_string(), "Pursue".to_string()),
            ("purpose".to_string(), "pursue".to_string()),
        ];
        for r in rows {
            all.extend(r.iter().map(|(k, v)| (k.to_string(), v.clone())));
        }
        CadenceForm::from_pairs(all)
    }

    #[test]
    fn rows_are_read_in_order_and_blank_rows_ignored() {
        let form = form_with_rows(&[row("email", "0"), row("", ""), row("call", "2")]);
        assert_eq!(form.rows.len(), 3);
        let input = form.validate().unwrap();
        assert_eq!(input.steps.len(), 2);
        assert_eq!(input.steps[0].channel, Channel::Email);
        assert_eq!(input.steps[1].channel, Channel::Call);
        assert_eq!(input.steps[1].delay_business_days, 2);
    }

    #[test]
    fn removed_rows_are_dropped_without_validation() {
        let mut all = pairs(&[("name", "N"), ("purpose", "nurture"), ("step_remove", "1")]);
        for r in [row("email", "20"), row("nonsense", "-4")] {
            all.extend(r.iter().map(|(k, v)| (k.to_string(), v.clone())));
        }
        let form = CadenceForm::from_pairs(all);
        assert!(form.rows[1].remove);
        assert_eq!(form.validate().unwrap().steps.len(), 1);
    }

    #[test]
    fn order_moves_a_row_and_ties_keep_typed_order() {
        let mut first = row("email", "0");
        first[0].1 = "2".into();
        let mut moved = row("call", "1");
        moved[0].1 = "1".into();
        let input = form_with_rows(&[first, moved, row("linkedin", "3")])
            .validate()
            .unwrap();
        let channels: Vec<_> = input.steps.iter().map(|s| s.channel).collect();
        assert_eq!(
            channels,
            vec![Channel::Call, Channel::Email, Channel::Linkedin]
        );
    }

    #[test]
    fn each_row_problem_is_reported_on_its_row() {
        let mut bad = row("", "261");
        bad[3].1 = "11:00".into();
        bad[6].1 = "Hi {{firstname}}".into();
        let mut backwards = row("call", "1");
        backwards[3].1 = "11:30".into();
        backwards[4].1 = "09:30".into();
        let errors = form_with_rows(&[row("email", "0"), bad, backwards])
            .validate()
            .unwrap_err();
        assert!(errors.row(0).is_empty());
        let second = errors.row(1);
        assert!(second.channel.is_some());
        assert!(second.delay.is_some());
        assert!(second.window.as_deref().unwrap().contains("both"));
        assert!(second.template.as_deref().unwrap().contains("firstname"));
        assert!(errors.row(2).window.as_deref().unwrap().contains("before"));
    }

    #[test]
    fn a_cadence_needs_a_name_a_purpose_and_a_step() {
        let errors = CadenceForm::from_pairs(pairs(&[("name", " ")]))
            .validate()
            .unwrap_err();
        for field in ["name", "purpose", "steps"] {
            assert!(errors.fields.has(field), "{field}");
        }
    }

    #[test]
    fn windows_accept_seconds() {
        let mut windowed = row("call", "1");
        windowed[3].1 = "09:30:00".into();
        windowed[4].1 = "11:30".into();
        let input = form_with_rows(&[windowed]).validate().unwrap();
        assert_eq!(input.steps[0].window, Some((time!(9:30), time!(11:30))));
        assert_eq!(hhmm(time!(9:05)), "09:05");
    }
}
