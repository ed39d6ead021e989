//! Scalars: `Date`, a calendar date (ISO 8601 `YYYY-MM-DD`), and `GeoJSON`, a map
//! geometry or feature collection (RFC 7946).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use std::sync::Arc;

use chrono::NaiveDate;

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
