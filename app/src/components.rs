//! Components shared by several pages.

pub mod error_box;
pub mod keyboard;
pub mod layout;
