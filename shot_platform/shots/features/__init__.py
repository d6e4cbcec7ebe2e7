"""The one feature code path: training, batch prediction and the HTTP service all call
:func:`shot_platform.shots.features.frame.build_features`."""
