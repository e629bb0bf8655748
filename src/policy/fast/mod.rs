//! The fast path of rule evaluation: an interpreter for the CEL that rules use, over borrowed
//! document values, which hands anything it does not model (and every error) to the
//! reference interpreter in `policy::cel`.

pub mod compile;
pub mod functions;
pub mod interp;
pub mod run;
pub mod value;
pub mod walk;

pub use interp::{Frame, Globals, eval};
pub use value::{Bail, Fv};
