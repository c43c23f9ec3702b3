//! Components shared by several pages.

pub mod audit_table;
pub mod chart;
pub mod confirm;
pub mod error_box;
pub mod form_reset;
pub mod keyboard;
pub mod layout;
pub mod reading_again;
pub mod upload;
