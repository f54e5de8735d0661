//! Diffs of objects as YAML. (Being written: see the actions helper.)
