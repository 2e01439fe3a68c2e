//! Rendering: turning the compiled model into files (Airflow DAGs, DataX jobs).
//!
//! Today this holds the Python-literal escaping every rendered value goes through.

pub mod python;
