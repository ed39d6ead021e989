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

    // Checked at validation too, so a malformed literal is refused before execution
    // with the path of its argument (`extensions.path`), like any mistyped argument.
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if Self::parse_rfc3339(text).is_ok())
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

    // As for `DateTime`: a malformed literal is refused at validation, with its path.
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok())
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
#[Scalar(
    name = "JSON",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc8259"
)]
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn answer(at: chrono::DateTime<Utc>) -> String {
        match DateTime::from(at).to_value() {
            Value::String(text) => text,
            other => panic!("a DateTime answered {other}"),
        }
    }

    fn input(text: &str) -> Result<String, String> {
        <DateTime as ScalarType>::parse(Value::String(text.to_owned()))
            .map(|at| answer(at.utc()))
            .map_err(|e| e.into_server_error(Default::default()).message)
    }

    fn at(nanos: u32) -> chrono::DateTime<Utc> {
        let whole = Utc.with_ymd_and_hms(2026, 12, 3, 13, 45, 0).single();
        whole
            .and_then(|t| t.with_nanosecond(nanos))
            .expect("a valid time")
    }

    #[test]
    fn answers_are_utc_with_exactly_three_fraction_digits_and_z() {
        assert_eq!(answer(at(123_456_789)), "2026-12-03T13:45:00.123Z");
        assert_eq!(answer(at(0)), "2026-12-03T13:45:00.000Z");
        assert_eq!(answer(at(7_000_000)), "2026-12-03T13:45:00.007Z");
    }

    #[test]
    fn sub_milliseconds_are_truncated_never_rounded() {
        // Rounding would carry into the next second (and minute, hour...).
        assert_eq!(answer(at(999_999_999)), "2026-12-03T13:45:00.999Z");
        assert_eq!(answer(at(1_999_999)), "2026-12-03T13:45:00.001Z");
        // So the order of answers is the order of times, as strings too.
        let times = [
            at(0),
            at(999_999),
            at(1_000_000),
            at(999_000_001),
            at(999_999_999),
        ];
        let answers: Vec<String> = times.iter().map(|t| answer(*t)).collect();
        assert!(answers.is_sorted(), "{answers:?}");
        assert!(times.iter().map(|t| DateTime::from(*t)).is_sorted());
    }

    #[test]
    fn inputs_with_any_offset_are_converted_to_utc() {
        let same = "2026-12-03T13:45:00.123Z";
        assert_eq!(input("2026-12-03T14:45:00.123+01:00").as_deref(), Ok(same));
        assert_eq!(input("2026-12-03T10:15:00.123-03:30").as_deref(), Ok(same));
        assert_eq!(input("2026-12-03T13:45:00.123+00:00").as_deref(), Ok(same));
        assert_eq!(input(same).as_deref(), Ok(same));
        assert!(<DateTime as ScalarType>::is_valid(&Value::String(
            "2026-12-03T14:45:00.123+01:00".to_owned()
        )));
        // Crossing midnight and a year.
        assert_eq!(
            input("2027-01-01T00:30:00.000+01:00").as_deref(),
            Ok("2026-12-31T23:30:00.000Z")
        );
    }

    #[test]
    fn inputs_of_any_precision_are_truncated_to_the_millisecond() {
        assert_eq!(
            input("2026-12-03T13:45:00Z").as_deref(),
            Ok("2026-12-03T13:45:00.000Z")
        );
        assert_eq!(
            input("2026-12-03T13:45:00.1Z").as_deref(),
            Ok("2026-12-03T13:45:00.100Z")
        );
        assert_eq!(
            input("2026-12-03T13:45:00.123999999+02:00").as_deref(),
            Ok("2026-12-03T11:45:00.123Z")
        );
    }

    #[test]
    fn malformed_inputs_are_refused_with_the_expected_shape() {
        for bad in [
            "",
            "yesterday",
            "2026-12-03",
            "2026-12-03T13:45:00",
            "2026-12-03T13:45:00.123",
            "2026-13-03T13:45:00Z",
            "2026-02-30T13:45:00Z",
            "2026-12-03T25:45:00Z",
            "2026-12-03T13:45:00+25:00",
            "2026-12-03T13:45:00.Z",
            "1733233500",
        ] {
            let refused = input(bad).expect_err(bad);
            assert!(refused.contains("RFC 3339"), "{bad:?}: {refused}");
            // Refused at validation as well (where literals get their path).
            assert!(!<DateTime as ScalarType>::is_valid(&Value::String(
                bad.to_owned()
            )));
        }
        for not_a_string in [
            Value::from(1_733_233_500),
            Value::Null,
            Value::Boolean(true),
        ] {
            assert!(<DateTime as ScalarType>::parse(not_a_string).is_err());
        }
    }

    #[test]
    fn a_leap_second_keeps_its_sixtieth_second() {
        assert_eq!(
            input("2016-12-31T23:59:60.5Z").as_deref(),
            Ok("2016-12-31T23:59:60.500Z")
        );
        assert_eq!(
            input("2017-01-01T00:59:60.123456+01:00").as_deref(),
            Ok("2016-12-31T23:59:60.123Z")
        );
    }

    #[test]
    fn far_dates_keep_four_digit_years_or_are_refused() {
        assert_eq!(
            input("0001-01-01T00:00:00Z").as_deref(),
            Ok("0001-01-01T00:00:00.000Z")
        );
        assert_eq!(
            input("9999-12-31T23:59:59.999999Z").as_deref(),
            Ok("9999-12-31T23:59:59.999Z")
        );
        // Valid RFC 3339, but UTC is outside what RFC 3339 can write.
        for beyond in ["9999-12-31T23:30:00-01:00", "0000-01-01T00:30:00+01:00"] {
            let refused = input(beyond).expect_err(beyond);
            assert!(refused.contains("0000 to 9999"), "{refused}");
        }
        assert_eq!(
            input("0000-01-01T00:30:00-01:00").as_deref(),
            Ok("0000-01-01T01:30:00.000Z")
        );
    }

    #[test]
    fn json_is_passed_through() {
        let value = serde_json::json!({"a": [1, 2.5, "x", null, true]});
        let parsed = <Json as ScalarType>::parse(Value::from_json(value.clone()).expect("JSON"));
        assert_eq!(parsed.expect("any JSON is accepted").0, value);
        assert_eq!(
            Json(value.clone()).to_value().into_json().expect("JSON"),
            value
        );
    }
}
