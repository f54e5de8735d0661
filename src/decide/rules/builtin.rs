//! (being written by the rules helper)
