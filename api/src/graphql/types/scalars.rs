//! The project's scalars, each with the specification it follows (`specifiedByURL` in
//! introspection, `@specifiedBy` in `schema.graphql`): `DateTime`, a point in time in UTC
//! to the millisecond; `Date`, a calendar date (ISO 8601 `YYYY-MM-DD`); `GeoJSON`, a map
//! geometry or feature collection (RFC 7946); `JSON`, any JSON value (RFC 8259).
//!
//! The domain keeps chrono's types; these wrap them at the GraphQL edge only.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use std::sync::Arc;

use chrono::{Datelike as _, NaiveDate, SecondsFormat, Timelike as _, Utc};

/// A point in time as the API shows it: UTC, truncated to the millisecond.
///
/// Answers always have the one shape `YYYY-MM-DDTHH:MM:SS.sssZ`, so clients may compare
/// them as strings; truncating (never rounding) keeps a time from moving past a later
/// one, so the order of answers and of cursors agree. Inputs may carry any RFC 3339
/// offset and fraction; they are converted to UTC and truncated the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(chrono::DateTime<Utc>);

impl DateTime {
    /// The time, in UTC at millisecond precision.
    pub fn utc(self) -> chrono::DateTime<Utc> {
        self.0
    }

    /// Reads an RFC 3339 `date-time` (any offset, any fraction), or says why not.
    fn parse_rfc3339(text: &str) -> Result<Self, String> {
        let parsed = chrono::DateTime::parse_from_rfc3339(text).map_err(|_| {
            format!("{text:?} is not an RFC 3339 date-time such as \"2026-12-03T13:45:00.123Z\"")
        })?;
        let utc = parsed.with_timezone(&Utc);
        // Answers are RFC 3339, which writes four-digit years only.
        if !(0..=9999).contains(&utc.year()) {
            return Err(format!("{text:?} is outside the years 0000 to 9999 in UTC"));
        }
        Ok(Self::from(utc))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        let nanos = at.nanosecond();
        // A leap second keeps its extra second: only the sub-millisecond digits go.
        Self(at.with_nanosecond(nanos - nanos % 1_000_000).unwrap_or(at))
    }
}

/// A point in time: an RFC 3339 date-time, answered in UTC to the millisecond, always as
/// `YYYY-MM-DDTHH:MM:SS.sssZ` (e.g. "2026-12-03T13:45:00.123Z"), so answers sort as
/// strings. Inputs may carry any offset ("2026-12-03T14:45:00.123+01:00" is the same
/// time) and any number of fraction digits (finer than the millisecond is dropped).
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://scalars.graphql.org/andimarek/date-time"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Self::parse_rfc3339(text).map_err(InputValueError::custom),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

/// A calendar date, ISO 8601 `YYYY-MM-DD` (e.g. "2026-09-01").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

/// A calendar date, ISO 8601 `YYYY-MM-DD` (e.g. "2026-09-01").
#[Scalar(
    name = "Date",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom(format!("{text:?} is not a date YYYY-MM-DD"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// A GeoJSON object (RFC 7946): WGS 84 longitude/latitude positions, exterior rings
/// counter-clockwise. Output only.
#[derive(Debug, Clone)]
pub struct GeoJson(pub Arc<serde_json::Value>);

/// A GeoJSON object (RFC 7946) as JSON: WGS 84 longitude/latitude positions, exterior
/// rings counter-clockwise, holes clockwise. The outlines are simplified (about 30
/// points per commune): draw them on a map, but never use them to tell which commune an
/// address is in near a border. Output only.
#[Scalar(
    name = "GeoJSON",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc7946"
)]
impl ScalarType for GeoJson {
    fn parse(value: Value) -> InputValueResult<Self> {
        Err(InputValueError::custom(format!(
            "GeoJSON is an output type; got {value}"
        )))
    }

    fn to_value(&self) -> Value {
        Value::from_json((*self.0).clone()).unwrap_or(Value::Null)
    }
}

/// Any JSON value (RFC 8259), for the few fields whose shape is not the schema's
/// (audit snapshots, import plans).
#[derive(Debug, Clone, PartialEq)]
pub struct Json(pub serde_json::Value);

/// Any JSON value (RFC 8259): an object, array, string, number, boolean or null, whose
/// shape the field's description tells.
#[Scalar(name = "JSON", specified_by_url = "https://www.rfc-editor.org/rfc/rfc8259")]
impl ScalarType for Json {
    fn parse(value: Value) -> InputValueResult<Self> {
        value
            .into_json()
            .map(Json)
            .map_err(|e| InputValueError::custom(e.to_string()))
    }

    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}
