//! Combining the signals into one score.
//!
//! The score is the weighted mean of the signals that could be read: a missing signal's
//! weight is shared among the present ones in proportion to their own weights. With no
//! signal (or only zero-weight ones) there is no score. Pure arithmetic.

use super::config::Weights;
use super::model::Components;

/// The weighted score of the present components, 0..1; `None` when none carries weight.
pub fn combine(components: &Components, weights: &Weights) -> Option<f64> {
    let present = [
        (components.health, weights.health),
        (components.alert, weights.alert),
        (components.recurrence, weights.recurrence),
    ];
    let (mut sum, mut total) = (0.0, 0.0);
    for (score, weight) in present {
        if let Some(s) = score {
            sum += s.clamp(0.0, 1.0) * weight;
            total += weight;
        }
    }
    (total > 0.0).then(|| round(sum / total))
}

/// Rounds to four decimals, so stored scores read cleanly and compare exactly.
pub fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(health: Option<f64>, alert: Option<f64>, recurrence: Option<f64>) -> Components {
        Components {
            health,
            alert,
            recurrence,
        }
    }

    #[test]
    fn weighted_mean_with_the_default_weights() {
        let w = Weights::default();
        assert_eq!(combine(&c(Some(1.0), Some(1.0), Some(1.0)), &w), Some(1.0));
        assert_eq!(combine(&c(Some(0.0), Some(0.0), Some(0.0)), &w), Some(0.0));
        assert_eq!(combine(&c(Some(1.0), Some(1.0), Some(0.0)), &w), Some(0.75));
        assert_eq!(combine(&c(Some(1.0), Some(0.0), Some(1.0)), &w), Some(0.65));
        assert_eq!(combine(&c(Some(0.0), Some(1.0), Some(1.0)), &w), Some(0.6));
    }

    #[test]
    fn a_missing_signal_shares_its_weight_in_proportion() {
        let w = Weights::default();
        // alert missing: health 0.40 and recurrence 0.25 become 0.40/0.65 and 0.25/0.65
        assert_eq!(combine(&c(Some(1.0), None, Some(0.0)), &w), Some(0.6154));
        assert_eq!(combine(&c(None, None, Some(0.0)), &w), Some(0.0));
        assert_eq!(combine(&c(None, Some(1.0), None), &w), Some(1.0));
        assert_eq!(combine(&c(None, None, None), &w), None);
    }

    #[test]
    fn zero_weights_count_for_nothing() {
        let w = Weights {
            health: 1.0,
            alert: 0.0,
            recurrence: 0.0,
        };
        assert_eq!(combine(&c(Some(0.5), Some(1.0), Some(1.0)), &w), Some(0.5));
        assert_eq!(combine(&c(None, Some(1.0), Some(1.0)), &w), None);
    }
}
