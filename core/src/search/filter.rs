//! What a search or a cohort narrows the project's studies to: words aside, the study dates,
//! exam codes, modalities and body parts.

use serde::Serialize;

use crate::{Error, Result};

/// A filter over a project's studies: the saved part of a cohort, and what the search page sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Filter {
    /// The search box as typed: words (all must match), "quoted phrases", `*` endings, OR,
    /// -excluded; read by [`SearchText::parse`] as rules read phrases.
    pub text: String,
    /// First and last study day, `YYYY-MM-DD`, inclusive.
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub exam_codes: Vec<String>,
    pub modalities: Vec<String>,
    pub body_parts: Vec<String>,
}

impl Filter {
    /// The first and last study days as numbers YYYYMMDD (`None`: open), checked: each a real date
    /// and the first not after the last. Errors name the field as the search page labels it.
    pub fn study_days(&self) -> Result<(Option<u64>, Option<u64>)> {
        let read = |date: &Option<String>, name: &str| -> Result<Option<u64>> {
            match date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                None => Ok(None),
                Some(date) => study_day(date).map(Some).ok_or_else(|| {
                    Error::Invalid(format!(
                        "“{date}” in “{name}” is not a date: write it as 2024-03-31."
                    ))
                }),
            }
        };
        let first = read(&self.date_from, "Studies from")?;
        let last = read(&self.date_to, "to")?;
        if let (Some(first), Some(last)) = (first, last) {
            if first > last {
                return Err(Error::Invalid(format!(
                    "The dates are reversed: studies from {} to {} is an empty range. Swap the two dates.",
                    self.date_from.as_deref().unwrap_or_default().trim(),
                    self.date_to.as_deref().unwrap_or_default().trim()
                )));
            }
        }
        Ok((first, last))
    }
}

/// A filter as a person types it: lists comma-separated, an empty field meaning "any".
#[derive(Debug, Clone, Copy, Default)]
pub struct TypedFilter<'a> {
    pub text: &'a str,
    pub date_from: &'a str,
    pub date_to: &'a str,
    pub exam_codes: &'a str,
    pub modalities: &'a str,
    pub body_parts: &'a str,
}

impl From<TypedFilter<'_>> for Filter {
    fn from(typed: TypedFilter<'_>) -> Filter {
        let list = |text: &str| {
            text.split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let day = |text: &str| Some(text.trim().to_string()).filter(|day| !day.is_empty());
        Filter {
            text: typed.text.to_string(),
            date_from: day(typed.date_from),
            date_to: day(typed.date_to),
            exam_codes: list(typed.exam_codes),
            modalities: list(typed.modalities),
            body_parts: list(typed.body_parts),
        }
    }
}

/// Reads `YYYY-MM-DD` as the number YYYYMMDD (a real calendar day).
pub(super) fn study_day(date: &str) -> Option<u64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date.trim(), format).ok()?;
    let year = u64::try_from(day.year()).ok()?;
    Some(year * 10_000 + u64::from(u8::from(day.month())) * 100 + u64::from(day.day()))
}
