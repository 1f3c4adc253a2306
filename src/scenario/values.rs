//! The typed values of a scenario — durations, rates, bounds, environment values — parsed from
//! their strings once, with messages that say what was expected, and described for the schema.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::units::{self, Comparison, Percent, Quantity, Rate};

const DURATION_EXPECTED: &str = "a duration like `15s` or `2m`";
const RATE_EXPECTED: &str = "a rate like `200/s` or `60/min`";

/// A whole string as a duration: `15s`, `500ms`, `2 min`, `1h30m`, `1 h 30 min`, `0`.
/// Spanish units (`15 segundos`) are accepted too, as everywhere in firedrill.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() || s.starts_with(['-', '+']) {
        return None;
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let (d, n) = units::parse_duration_prefix(rest)?;
        // A bare number (no unit) is only valid as the whole string `0`.
        if !rest[..n].contains(|c: char| c.is_alphabetic())
            && (n != rest.len() || rest.len() != s.len())
        {
            return None;
        }
        total += d;
        rest = rest[n..].trim_start();
    }
    Some(total)
}

/// A whole string as a rate: `200/s`, `100 req/s`, `60/min`, `60 rpm`.
pub fn parse_rate(s: &str) -> Option<Rate> {
    let s = s.trim();
    let (rate, n) = units::parse_rate_prefix(s)?;
    s[n..].trim().is_empty().then_some(rate)
}

/// A whole string as a percentage: `1%`, `0,5 %`, `99.9 %`.
pub fn parse_percent(s: &str) -> Option<Percent> {
    let s = s.trim();
    let (p, n) = units::parse_percent_prefix(s)?;
    s[n..].trim().is_empty().then_some(p)
}

fn describe_value<E: de::Error>(what: &str, got: impl fmt::Display, hint: &str) -> E {
    E::custom(format!("expected {what}, got `{got}`{hint}"))
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(DURATION_EXPECTED)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse_duration(v).ok_or_else(|| describe_value(DURATION_EXPECTED, v, ""))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        if v == 0 {
            return Ok(Duration::ZERO);
        }
        Err(describe_value(
            DURATION_EXPECTED,
            v,
            &format!(": a number needs a unit (`{v}s`, `{v}ms`)"),
        ))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(describe_value(
                DURATION_EXPECTED,
                v,
                ": durations cannot be negative",
            )),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
        Err(describe_value(
            DURATION_EXPECTED,
            v,
            &format!(": a number needs a unit (`{v}s`)"),
        ))
    }
}

/// `deserialize_with` for a [`Duration`] written as a string.
pub fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_any(DurationVisitor)
}

/// `deserialize_with` for an optional [`Duration`] (use with `#[serde(default)]`).
pub fn de_duration_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    de_duration(d).map(Some)
}

pub fn ser_duration<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_duration(*d))
}

pub fn ser_duration_opt<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&format_duration(*d)),
        None => s.serialize_none(),
    }
}

/// `units::format_duration` without the spaces a YAML reader does not need (`1h30min`, `250ms`),
/// which `parse_duration` reads back.
pub fn format_duration(d: Duration) -> String {
    units::format_duration(d).replace(' ', "")
}

struct RateVisitor;

impl Visitor<'_> for RateVisitor {
    type Value = Rate;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(RATE_EXPECTED)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Rate, E> {
        parse_rate(v).ok_or_else(|| describe_value(RATE_EXPECTED, v, ""))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Rate, E> {
        Err(describe_value(
            RATE_EXPECTED,
            v,
            &format!(": a number needs a unit (`{v}/s`)"),
        ))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Rate, E> {
        Err(describe_value(
            RATE_EXPECTED,
            v,
            &format!(": a number needs a unit (`{v}/s`)"),
        ))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Rate, E> {
        Err(describe_value(
            RATE_EXPECTED,
            v,
            &format!(": a number needs a unit (`{v}/s`)"),
        ))
    }
}

/// `deserialize_with` for a [`Rate`] written as a string.
pub fn de_rate<'de, D: Deserializer<'de>>(d: D) -> Result<Rate, D::Error> {
    d.deserialize_any(RateVisitor)
}

pub fn ser_rate<S: Serializer>(r: &Rate, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{}/s", Quantity::Number(r.per_second)))
}

/// A quantity a [`Bound`] can hold: how to read it, and how the schema describes it.
pub trait BoundQuantity: Copy + fmt::Debug + PartialEq {
    /// What the value looks like, for messages: "a percentage like `1%`".
    const EXPECTED: &'static str;
    /// A JSON Schema (ECMA 262) pattern for the value after the comparison.
    const PATTERN: &'static str;
    const NAME: &'static str;
    /// A value for examples in messages and the schema: `1%`.
    const EXAMPLE: &'static str;
    fn parse(s: &str) -> Option<Self>;
    fn quantity(self) -> Quantity;
}

impl BoundQuantity for Duration {
    const EXPECTED: &'static str = "a duration like `250ms` or `5s`";
    const PATTERN: &'static str = DURATION_PATTERN_BODY;
    const NAME: &'static str = "DurationBound";
    const EXAMPLE: &'static str = "250ms";
    fn parse(s: &str) -> Option<Self> {
        parse_duration(s)
    }
    fn quantity(self) -> Quantity {
        Quantity::Duration(self)
    }
}

impl BoundQuantity for Percent {
    const EXPECTED: &'static str = "a percentage like `1%`";
    const PATTERN: &'static str = r"[0-9]+([.,][0-9]+)? *%";
    const NAME: &'static str = "PercentBound";
    const EXAMPLE: &'static str = "1%";
    fn parse(s: &str) -> Option<Self> {
        parse_percent(s)
    }
    fn quantity(self) -> Quantity {
        Quantity::Percent(self)
    }
}

/// A target such as `< 1%` or `<= 250ms`: a comparison and a typed quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound<Q> {
    pub comparison: Comparison,
    pub quantity: Q,
}

impl<Q: BoundQuantity> Bound<Q> {
    /// `<= value`: a ceiling.
    pub fn at_most(quantity: Q) -> Self {
        Bound {
            comparison: Comparison::Le,
            quantity,
        }
    }

    /// Reads `< 1%`, `<= 5s`, `≥ 50 %`, `menos de 1 %`. With `bare_means_at_most`, a bare value
    /// (`5s`) is read as `<= 5s`.
    pub fn parse(s: &str, bare_means_at_most: bool) -> Result<Self, String> {
        let got = s.trim();
        match units::parse_comparison(got) {
            Some((comparison, n)) => match Q::parse(&got[n..]) {
                Some(quantity) => Ok(Bound { comparison, quantity }),
                None => Err(format!("expected a bound like `< {}`, got `{got}`: after the comparison comes {}", example::<Q>(), Q::EXPECTED)),
            },
            None => match Q::parse(got) {
                Some(quantity) if bare_means_at_most => Ok(Bound::at_most(quantity)),
                Some(_) => Err(format!(
                    "expected a bound like `< {}`, got `{got}`: start it with a comparison (`<`, `<=`, `>=`, `>`, `=`); quote it when it starts with `>`",
                    example::<Q>()
                )),
                None if bare_means_at_most => Err(format!("expected {} or a bound like `<= {}`, got `{got}`", Q::EXPECTED, example::<Q>())),
                None => Err(format!("expected a bound like `< {}`, got `{got}`", example::<Q>())),
            },
        }
    }

    /// The bound's quantity as a [`Quantity`], for reports and comparisons with measurements.
    pub fn as_quantity(&self) -> Quantity {
        self.quantity.quantity()
    }

    /// Whether a measured value satisfies the bound.
    pub fn holds(&self, measured: Q) -> bool {
        let (m, q) = (
            measured.quantity().base_value(),
            self.as_quantity().base_value(),
        );
        match self.comparison {
            Comparison::Lt => m < q,
            Comparison::Le => m <= q,
            Comparison::Gt => m > q,
            Comparison::Ge => m >= q,
            Comparison::Eq => m == q,
        }
    }
}

fn example<Q: BoundQuantity>() -> &'static str {
    Q::EXAMPLE
}

impl<Q: BoundQuantity> fmt::Display for Bound<Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let symbol = match self.comparison {
            Comparison::Le => "<=",
            Comparison::Ge => ">=",
            other => other.symbol(),
        };
        match self.as_quantity() {
            Quantity::Duration(d) => write!(f, "{symbol} {}", format_duration(d)),
            q => write!(f, "{symbol} {q}"),
        }
    }
}

impl<Q: BoundQuantity> Serialize for Bound<Q> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

struct BoundVisitor<Q>(bool, PhantomData<Q>);

impl<Q: BoundQuantity> Visitor<'_> for BoundVisitor<Q> {
    type Value = Bound<Q>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a bound like `< {}`", example::<Q>())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Bound<Q>, E> {
        Bound::parse(v, self.0).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bound<Q>, E> {
        Err(E::custom(format!(
            "expected a bound like `< {}`, got `{v}`: a number needs a unit",
            example::<Q>()
        )))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bound<Q>, E> {
        self.visit_f64(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Bound<Q>, E> {
        Err(E::custom(format!(
            "expected a bound like `< {}`, got `{v}`: a number needs a unit",
            example::<Q>()
        )))
    }
}

impl<'de, Q: BoundQuantity> Deserialize<'de> for Bound<Q> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BoundVisitor(false, PhantomData))
    }
}

/// `deserialize_with` for a maximum: `5s` or `<= 5s` (a bare value is a ceiling).
pub fn de_max_duration_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Bound<Duration>>, D::Error> {
    d.deserialize_any(BoundVisitor(true, PhantomData)).map(Some)
}

impl<Q: BoundQuantity> JsonSchema for Bound<Q> {
    fn schema_name() -> Cow<'static, str> {
        Q::NAME.into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let ex = example::<Q>();
        json_schema!({
            "type": "string",
            "pattern": format!("^ *(<=|>=|<|>|=|≤|≥) *{} *$", Q::PATTERN),
            "description": format!("A comparison and {}, e.g. `< {ex}` or `<= {ex}`. Quote values that start with `>` (`\">= 50%\"`): a bare `>` starts a folded block in YAML.", Q::EXPECTED),
            "examples": [format!("< {ex}"), format!("<= {ex}")],
        })
    }
}

const DURATION_PATTERN_BODY: &str = r"(0|([0-9]+([.,][0-9]+)? *(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|segundos?|minutos?|horas?|d[ií]as?) *)+)";

/// Schema stand-in for a [`Duration`] field (`#[schemars(with = "DurationSchema")]`).
pub struct DurationSchema;

impl JsonSchema for DurationSchema {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": format!("^ *{DURATION_PATTERN_BODY}$"),
            "description": "A duration: a number and a unit (`500ms`, `15s`, `2m`, `1h30m`); `0` alone needs no unit.",
            "examples": ["500ms", "15s", "2m"],
        })
    }
}

/// `5s` or `<= 5s`: the schema of a maximum duration.
pub struct MaxDurationSchema;

impl JsonSchema for MaxDurationSchema {
    fn schema_name() -> Cow<'static, str> {
        "MaxDuration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": format!("^ *(<=|<|≤)? *{DURATION_PATTERN_BODY}$"),
            "description": "A maximum duration: `5s` (read as `<= 5s`), `<= 5s` or `< 5s`.",
            "examples": ["5s", "<= 5s"],
        })
    }
}

/// Schema stand-in for a [`Rate`] field.
pub struct RateSchema;

impl JsonSchema for RateSchema {
    fn schema_name() -> Cow<'static, str> {
        "Rate".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": r"^ *[0-9]+([.,][0-9]+)? *(/s|/min|req/s|reqs/s|rps|rpm|req/min|requests/s|requests/min|calls/s|calls/min|ops/s|tps) *$",
            "description": "An arrival rate: a number of requests per second or per minute (`200/s`, `100 req/s`, `60/min`).",
            "examples": ["200/s", "60/min"],
        })
    }
}

/// An environment variable's value. YAML numbers and booleans (`DB_TIMEOUT_MS: 500`) are kept as
/// the text they were written as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EnvValue(pub String);

impl fmt::Display for EnvValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

struct EnvVisitor;

impl Visitor<'_> for EnvVisitor {
    type Value = EnvValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvValue, E> {
        Ok(EnvValue(v.to_owned()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<EnvValue, E> {
        Ok(EnvValue(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<EnvValue, E> {
        Ok(EnvValue(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<EnvValue, E> {
        Ok(EnvValue(v.to_string()))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<EnvValue, E> {
        Ok(EnvValue(v.to_string()))
    }
}

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EnvVisitor)
    }
}

impl JsonSchema for EnvValue {
    fn schema_name() -> Cow<'static, str> {
        "EnvValue".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "number", "boolean"],
            "description": "An environment variable's value; numbers and booleans are passed as written.",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_whole_strings() {
        assert_eq!(parse_duration("15s"), Some(Duration::from_secs(15)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(
            parse_duration("1 h 30 min"),
            Some(Duration::from_secs(5400))
        );
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration("15 segundos"), Some(Duration::from_secs(15)));
        for bad in ["fast", "15", "15s later", "", "-5s", "0 5s", "5s 3"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        for d in [
            Duration::from_millis(250),
            Duration::from_secs(5400),
            Duration::ZERO,
        ] {
            assert_eq!(parse_duration(&format_duration(d)), Some(d));
        }
    }

    #[test]
    fn rates_and_percentages() {
        assert_eq!(parse_rate("200/s").unwrap().per_second, 200.0);
        assert_eq!(parse_rate("60/min").unwrap().per_second, 1.0);
        assert_eq!(parse_rate("100 req/s").unwrap().per_second, 100.0);
        assert!(parse_rate("200").is_none());
        assert!(parse_rate("200/s please").is_none());
        assert_eq!(parse_percent("0,5 %"), Some(Percent(0.5)));
        assert!(parse_percent("1").is_none());
    }

    #[test]
    fn bounds() {
        let b = Bound::<Percent>::parse("< 1%", false).unwrap();
        assert_eq!((b.comparison, b.quantity), (Comparison::Lt, Percent(1.0)));
        assert!(b.holds(Percent(0.5)) && !b.holds(Percent(1.0)));
        let b = Bound::<Duration>::parse("<= 250ms", false).unwrap();
        assert_eq!(b.to_string(), "<= 250ms");
        assert_eq!(Bound::<Duration>::parse(&b.to_string(), false).unwrap(), b);
        assert!(Bound::<Percent>::parse("1%", false)
            .unwrap_err()
            .contains("start it with a comparison"));
        assert_eq!(
            Bound::<Duration>::parse("5s", true).unwrap(),
            Bound::at_most(Duration::from_secs(5))
        );
        assert!(Bound::<Percent>::parse("< 1", false).is_err());
        assert_eq!(
            Bound::<Percent>::parse("≥ 50 %", false).unwrap().comparison,
            Comparison::Ge
        );
    }
}
