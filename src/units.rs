//! Quantities with units: durations, percentages, rates, sizes — parsed once, compared typed.
//!
//! TODO: not written yet.
