//! The support line's rules as pure functions of dates and facts: public holidays, opening
//! hours, CPR numbers, witnesses and identity documents. No clock and no I/O here.

pub mod cpr;
pub mod documents;
pub mod holidays;
pub mod hours;
pub mod witness;
