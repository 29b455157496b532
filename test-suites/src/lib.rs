//! Shared helpers of lsemu's test suites.
