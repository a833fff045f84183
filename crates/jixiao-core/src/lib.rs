//! The domain of jixiao: performance target forms (绩效目标申报表) of public project budgets.
//!
//! This crate is pure: it does no I/O, touches no database and speaks no HTTP. Everything
//! here is a value with its rules: money exact to the fen, levels as the official enums,
//! target values read by one grammar.

pub mod actual;
pub mod crypto;
pub mod duties;
pub mod form;
pub mod level;
pub mod money;
pub mod monitor;
pub mod password;
pub mod review;
pub mod score;
pub mod signature;
pub mod target;
pub mod text;
pub mod unit;
pub mod workflow;

pub use form::{Form, Funds, Indicator};
pub use level::{Level1, Level2};
pub use money::Money;
pub use target::{Op, Target};
pub use unit::Unit;
