"""Quality review: scorecards, reviews, sampling, calibration and mystery shoppers."""
