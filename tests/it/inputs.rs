//! Tests of inputs.
